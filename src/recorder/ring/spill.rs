//! The back part of a leg's ring: room that is only touched when a worker
//! falls behind.
//!
//! A leg's ring must hold a whole stall of its worker (a slow disk, a busy
//! CPU, a channel thread that was held up and hands over a
//! burst; `ring_ms`, 10 s by default) but in normal running holds one or two
//! 20 ms frames.  So a ring is two FIFOs: a small hot one whose pages are
//! mapped when the leg starts, and this spill area, mapped straight from
//! the kernel and left untouched, so it costs address space but no memory
//! until a stall actually fills it.  Heap memory would not do: in a PBX
//! that runs for months, the memory of ended calls' rings stays resident
//! in the allocator, and a new call's ring would reuse it, pages and all.
//! Pages the media thread reaches for the first time during a stall are
//! zero-filled by the kernel on that thread; in normal running it never
//! gets here.
//!
//! Single producer (the media thread), single consumer (a worker); both
//! counters only grow, and a slot is `count % capacity`.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Keeps the two counters on separate cache lines: the producer writes one,
/// the consumer the other.
#[repr(align(128))]
struct Padded(AtomicUsize);

struct Area {
    ptr: NonNull<i16>,
    capacity: usize,
    /// Bytes mapped; 0 when `ptr` came from the heap instead.
    mapped: usize,
    written: Padded,
    read: Padded,
    producer_gone: AtomicBool,
}

// SAFETY: the area is plain memory; the counters (release/acquire) hand
// each slot from the producer to the consumer and back, so no slot is
// accessed by both at once.
unsafe impl Send for Area {}
unsafe impl Sync for Area {}

impl Area {
    fn new(capacity: usize) -> Area {
        let bytes = capacity * std::mem::size_of::<i16>();
        let mut mapped = 0;
        let mut ptr = None;
        if bytes > 0 {
            // SAFETY: a fresh private anonymous mapping; checked below.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    bytes,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if p != libc::MAP_FAILED {
                mapped = bytes;
                ptr = NonNull::new(p.cast::<i16>());
            }
        }
        // No mapping (none needed, or the kernel refused one): heap memory
        // does the same job, only it is resident from the start.
        let ptr = ptr.unwrap_or_else(|| {
            let heap: Box<[i16]> = vec![0; capacity].into_boxed_slice();
            NonNull::new(Box::into_raw(heap).cast::<i16>()).expect("Box is non-null")
        });
        Area {
            ptr,
            capacity,
            mapped,
            written: Padded(AtomicUsize::new(0)),
            read: Padded(AtomicUsize::new(0)),
            producer_gone: AtomicBool::new(false),
        }
    }

    /// The slots `[from, from + n)` as up to two slices (the area wraps).
    ///
    /// SAFETY: the caller owns those slots (producer: free ones; consumer:
    /// published ones) and `n <= capacity`.
    unsafe fn slots(&self, from: usize, n: usize) -> (*mut i16, usize, *mut i16, usize) {
        let start = from % self.capacity;
        let first = n.min(self.capacity - start);
        // SAFETY: start < capacity, so both pointers stay inside the area.
        unsafe {
            (
                self.ptr.as_ptr().add(start),
                first,
                self.ptr.as_ptr(),
                n - first,
            )
        }
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        if self.mapped > 0 {
            // SAFETY: mapped by `Area::new` with this length, used by no one now.
            unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.mapped) };
        } else {
            // SAFETY: came from `Box<[i16]>` of `capacity` in `Area::new`.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    self.ptr.as_ptr(),
                    self.capacity,
                ))
            });
        }
    }
}

/// The media thread's end.
pub struct SpillProducer {
    area: Arc<Area>,
    written: usize,
}

/// The worker's end.
pub struct SpillConsumer {
    area: Arc<Area>,
    read: usize,
}

/// A spill area of `capacity` samples.
pub fn spill(capacity: usize) -> (SpillProducer, SpillConsumer) {
    let area = Arc::new(Area::new(capacity));
    (
        SpillProducer {
            area: area.clone(),
            written: 0,
        },
        SpillConsumer { area, read: 0 },
    )
}

impl SpillProducer {
    /// Free slots.
    pub fn slots(&self) -> usize {
        let read = self.area.read.0.load(Ordering::Acquire);
        self.area.capacity - (self.written - read)
    }

    /// Queue `frame` (zeros when `silent`); the caller checked `slots()`.
    pub fn write(&mut self, frame: &[i16], silent: bool) {
        let n = frame.len();
        debug_assert!(n <= self.slots());
        // SAFETY: the slots past `written` are free (checked by the caller)
        // and only this producer writes them.
        unsafe {
            let (a, a_len, b, b_len) = self.area.slots(self.written, n);
            if silent {
                std::ptr::write_bytes(a, 0, a_len);
                std::ptr::write_bytes(b, 0, b_len);
            } else {
                std::ptr::copy_nonoverlapping(frame.as_ptr(), a, a_len);
                std::ptr::copy_nonoverlapping(frame.as_ptr().add(a_len), b, b_len);
            }
        }
        self.written += n;
        self.area.written.0.store(self.written, Ordering::Release);
    }
}

impl Drop for SpillProducer {
    fn drop(&mut self) {
        self.area.producer_gone.store(true, Ordering::Release);
    }
}

impl SpillConsumer {
    /// Samples waiting.
    pub fn available(&self) -> usize {
        self.area.written.0.load(Ordering::Acquire) - self.read
    }

    /// Hand the next `n` samples (at most `available()`) to `f`, in up to
    /// two slices, then free their slots.
    pub fn read(&mut self, n: usize, mut f: impl FnMut(&[i16])) {
        debug_assert!(n <= self.available());
        if n == 0 {
            return;
        }
        // SAFETY: these slots were published by the producer (release
        // store of `written`, acquired in `available`) and it will not
        // touch them again until `read` moves past them.
        let (a, b) = unsafe {
            let (a, a_len, b, b_len) = self.area.slots(self.read, n);
            (
                std::slice::from_raw_parts(a, a_len),
                std::slice::from_raw_parts(b, b_len),
            )
        };
        if !a.is_empty() {
            f(a);
        }
        if !b.is_empty() {
            f(b);
        }
        self.read += n;
        self.area.read.0.store(self.read, Ordering::Release);
    }

    pub fn is_empty(&self) -> bool {
        self.available() == 0
    }

    /// True once the producer is gone (its last samples are then visible).
    pub fn is_abandoned(&self) -> bool {
        self.area.producer_gone.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_come_out_in_order_across_the_wrap() {
        let (mut p, mut c) = spill(5);
        p.write(&[1, 2, 3], false);
        let mut got = Vec::new();
        c.read(2, |s| got.extend_from_slice(s));
        p.write(&[4, 5, 6, 7], true);
        assert_eq!(p.slots(), 0);
        c.read(c.available(), |s| got.extend_from_slice(s));
        assert_eq!(got, [1, 2, 3, 0, 0, 0, 0]);
        assert_eq!(p.slots(), 5);
        assert!(!c.is_abandoned());
        drop(p);
        assert!(c.is_abandoned() && c.is_empty());
    }

    #[test]
    fn an_empty_spill_area_holds_nothing() {
        let (p, c) = spill(0);
        assert_eq!(p.slots(), 0);
        assert!(c.is_empty());
    }
}
