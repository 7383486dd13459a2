//! Connections, bounded: how many at once (in all, and from one address),
//! how long a request's head may take to arrive, and how long a
//! connection may sit with nothing moving either way.  Without these a
//! few thousand slow sockets (Slowloris: a header line now and then, or
//! nothing at all) held the server's file descriptors for ever: axum-server
//! turns hyper's header-read timeout off, and nothing else bounded them.

use std::collections::HashMap;
use std::future::{ready, Future, Ready};
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// Connections at once, in all: well below the usual limit of 1024 file
/// descriptors, which the spool's files, the index and the bucket need
/// too.  A browser opens six at most; a few hundred people at once is
/// more than one recording browser sees.
pub const MAX_CONNECTIONS: usize = 512;

/// Connections at once from one address: a call centre behind one NAT
/// with a few people browsing, while one attacker's address takes no more
/// than an eighth of the whole.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;

/// A request's head (the request line and headers, a few hundred bytes)
/// must arrive within this, counted from when the server starts reading
/// it: a slow network sends it in well under a second.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection where no byte moved either way for this long is closed:
/// an idle keep-alive, or a reader that stopped reading.  A paused
/// `<audio>` element reconnects with a Range request when played again.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Admits connections within the bounds (others are closed at once).
#[derive(Clone)]
pub struct Guard {
    total: Arc<Semaphore>,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Guard {
    pub fn new() -> Guard {
        Guard {
            total: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            per_address: Arc::default(),
        }
    }

    fn admit(&self, stream: TcpStream) -> io::Result<Guarded<TcpStream>> {
        let refused = |why: &str| io::Error::new(io::ErrorKind::ConnectionRefused, why);
        let address = stream.peer_addr()?.ip();
        let permit = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| refused("connection limit reached"))?;
        {
            let mut m = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
            let n = m.entry(address).or_insert(0);
            if *n >= MAX_CONNECTIONS_PER_ADDRESS {
                return Err(refused("connection limit of the address reached"));
            }
            *n += 1;
        }
        Ok(Guarded {
            inner: stream,
            idle: Box::pin(tokio::time::sleep(IDLE_TIMEOUT)),
            _slot: Slot {
                address,
                per_address: self.per_address.clone(),
                _permit: permit,
            },
        })
    }
}

impl Default for Guard {
    fn default() -> Guard {
        Guard::new()
    }
}

impl<S> Accept<TcpStream, S> for Guard {
    type Stream = Guarded<TcpStream>;
    type Service = S;
    type Future = Ready<io::Result<(Guarded<TcpStream>, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        ready(self.admit(stream).map(|g| (g, service)))
    }
}

/// A connection's place in the counts, given back when it closes.
struct Slot {
    address: IpAddr,
    per_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self.per_address.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = m.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.address);
            }
        }
    }
}

/// A stream that fails (and so is closed) once nothing moved for
/// IDLE_TIMEOUT.
pub struct Guarded<S> {
    inner: S,
    idle: Pin<Box<Sleep>>,
    _slot: Slot,
}

impl<S> Guarded<S> {
    fn moved(&mut self) {
        self.idle.as_mut().reset(Instant::now() + IDLE_TIMEOUT);
    }

    /// Pending: an error if the connection has been idle too long (the
    /// timer wakes this task then).
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match self.idle.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle too long",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.moved();
                Poll::Ready(r)
            }
            Poll::Pending => this.pending(cx),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(r) => {
                this.moved();
                Poll::Ready(r)
            }
            Poll::Pending => this.pending(cx),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
