//! Threads started straight from pthreads, not `std::thread`.
//!
//! Why: `std::thread::spawn` runs the standard library's spawn hooks, which
//! initialize a thread-local with a destructor on the *calling* thread.
//! The caller is a PBX thread (Asterisk's module loader, a CLI thread) that
//! outlives our module, and glibc keeps a shared object mapped while any
//! live thread holds a TLS destructor of it: `module unload` then left
//! app_legrec.so resident, and the next `module load` reused the stale
//! handle ("Failure in dlclose ... shared object not open", seen with gdb on
//! `__cxa_thread_atexit_impl`).  pthread_create touches no Rust state on the
//! caller; whatever the new thread registers goes away when it is joined.

use std::ffi::{c_void, CString};
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

type Body = Box<dyn FnOnce() + Send + 'static>;

/// A joinable thread.  Dropping it without `join` detaches nothing: it is
/// joined then, so no thread of ours outlives its owner.
pub struct Thread(Option<libc::pthread_t>);

extern "C" fn trampoline(arg: *mut c_void) -> *mut c_void {
    // SAFETY: `arg` is the Box<Body> leaked by `spawn` for this thread only.
    let body = unsafe { Box::from_raw(arg as *mut Body) };
    // A panic must not unwind into pthread's C frames.
    let _ = catch_unwind(AssertUnwindSafe(body));
    ptr::null_mut()
}

/// Start `body` on a new thread named `name` (at most 15 bytes show).
pub fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> io::Result<Thread> {
    let arg = Box::into_raw(Box::new(Box::new(body) as Body)) as *mut c_void;
    let mut id: libc::pthread_t = 0;
    // SAFETY: default attributes; `trampoline` takes ownership of `arg`.
    let r = unsafe { libc::pthread_create(&mut id, ptr::null(), trampoline, arg) };
    if r != 0 {
        // SAFETY: the thread was not created, so `arg` is still ours.
        drop(unsafe { Box::from_raw(arg as *mut Body) });
        return Err(io::Error::from_raw_os_error(r));
    }
    let short: String = name.chars().take(15).collect();
    if let Ok(c) = CString::new(short) {
        // SAFETY: `id` is a live thread; the name is NUL-terminated.
        unsafe { libc::pthread_setname_np(id, c.as_ptr()) };
    }
    Ok(Thread(Some(id)))
}

impl Thread {
    /// Wait for the thread to end.
    pub fn join(mut self) {
        self.join_inner();
    }

    fn join_inner(&mut self) {
        if let Some(id) = self.0.take() {
            // SAFETY: joined once; the thread was created joinable.
            unsafe { libc::pthread_join(id, ptr::null_mut()) };
        }
    }
}

/// Make the calling thread yield the CPU to the PBX and to the encoder
/// threads: `steps` more niceness (Linux gives each thread its own).
/// Raising niceness needs no privilege; if it fails the thread runs as
/// before, which is only slower for the others.
pub fn lower_priority(steps: i32) {
    // SAFETY: plain system calls on this thread's own id.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if *libc::__errno_location() == 0 {
            libc::setpriority(libc::PRIO_PROCESS, tid, (now + steps).min(19));
        }
    }
}

impl Drop for Thread {
    fn drop(&mut self) {
        self.join_inner();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn runs_joins_and_survives_a_panic() {
        let n = Arc::new(AtomicU32::new(0));
        let m = Arc::clone(&n);
        spawn("t-ok", move || {
            m.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap()
        .join();
        assert_eq!(n.load(Ordering::SeqCst), 1);
        spawn("t-panic", || panic!("caught in the thread"))
            .unwrap()
            .join();
    }

    #[test]
    fn a_lowered_thread_is_nicer_and_the_others_are_not() {
        // SAFETY: plain system calls.
        let nice =
            |tid: libc::pid_t| unsafe { libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t) };
        let mine = nice(unsafe { libc::gettid() });
        let theirs = Arc::new(AtomicU32::new(0));
        let t = Arc::clone(&theirs);
        spawn("t-nice", move || {
            let before = nice(unsafe { libc::gettid() });
            lower_priority(10);
            let after = nice(unsafe { libc::gettid() });
            t.store((after - before) as u32, Ordering::SeqCst);
        })
        .unwrap()
        .join();
        assert_eq!(theirs.load(Ordering::SeqCst), (19 - mine).min(10) as u32);
        assert_eq!(nice(unsafe { libc::gettid() }), mine, "only that thread");
    }
}
