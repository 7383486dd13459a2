//! Where a frame waits: one lock-free SPSC ring per leg between the PBX's
//! media thread and a worker.
//!
//! Samples go into a ring of `i16`.  Things that happen *between* samples
//! (a run of dropped frames, a change of sample rate) go into a small second
//! ring as events stamped with the sample position they precede, so the
//! worker can put silence or a resampler exactly where they belong.  The
//! producer never allocates, locks or blocks: when a ring is full the frame
//! is dropped and its duration remembered until an event can carry it.
//!
//! The sample ring is itself two FIFOs: a hot one of at most [`HOT_MS`],
//! mapped when the leg starts, and a spill area ([`spill`]) for the
//! rest of `ring_ms`, which holds memory only once a stall has reached it.
//! When the hot FIFO is full the producer marks a switch in the event ring
//! and goes on in the spill area; once the worker has emptied the hot FIFO
//! it marks a switch back.  The worker follows the marks, so the samples
//! come out in the order they went in.

pub mod spill;

use rtrb::{Consumer, Producer, RingBuffer};

use spill::{spill, SpillConsumer, SpillProducer};

/// How much of a leg's ring is held in memory all the time: a worker
/// drains every 20 ms, so in normal running a leg holds one or two frames.
pub const HOT_MS: u32 = 250;

/// Something that happens at a position in a leg's sample stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegEvent {
    /// `samples` (at the leg's rate) were dropped before position `at`.
    Gap { at: u64, samples: u64 },
    /// From position `at` on, samples arrive at `rate` Hz.
    Rate { at: u64, rate: u32 },
}

/// What the event ring carries: the worker's events, and where the
/// samples move between the hot FIFO and the spill area.
#[derive(Clone, Copy, Debug)]
enum Mark {
    Event(LegEvent),
    Switch { at: u64 },
}

impl Mark {
    fn at(&self) -> u64 {
        match *self {
            Mark::Event(LegEvent::Gap { at, .. }) | Mark::Event(LegEvent::Rate { at, .. }) => at,
            Mark::Switch { at } => at,
        }
    }
}

const EVENT_SLOTS: usize = 32;

/// The media thread's end.
pub struct LegProducer {
    hot: Producer<i16>,
    spill: SpillProducer,
    spilling: bool,
    events: Producer<Mark>,
    written: u64,
    /// Dropped duration not yet announced, in leg-rate samples.
    pending_gap: u64,
    rate: u32,
    leg_rate: u32,
}

/// The worker's end.
pub struct LegConsumer {
    hot: Consumer<i16>,
    spill: SpillConsumer,
    spilling: bool,
    events: Consumer<Mark>,
    read: u64,
}

/// Why a frame was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The frame's duration in leg-rate samples.
    pub samples: u64,
}

/// A ring pair for one leg that holds at least `capacity` samples at
/// `leg_rate`.
///
/// The spill area alone holds all of `capacity`: it costs no memory until
/// used, and a frame that does not fit the rest of the hot FIFO then never
/// shortens what a stall may last.
pub fn leg_ring(capacity: usize, leg_rate: u32) -> (LegProducer, LegConsumer) {
    let hot = capacity.min((leg_rate as usize * HOT_MS as usize / 1000).max(1));
    let spilled = if hot < capacity { capacity } else { 0 };
    split_ring(hot, spilled, leg_rate)
}

/// A ring pair whose hot FIFO holds `hot` samples and spill area `spilled`.
///
/// The hot FIFO's memory is written once here, on the caller's (control)
/// thread, so the kernel maps its pages now: the media thread's first pass
/// through it then takes no page faults.
fn split_ring(hot: usize, spilled: usize, leg_rate: u32) -> (LegProducer, LegConsumer) {
    let (mut sp, mut sc) = RingBuffer::new(hot.max(1));
    if let Ok(chunk) = sp.write_chunk_uninit(hot.max(1)) {
        chunk.fill_from_iter(std::iter::repeat(0i16));
    }
    if let Ok(chunk) = sc.read_chunk(hot.max(1)) {
        chunk.commit_all();
    }
    let (xp, xc) = spill(spilled);
    let (ep, ec) = RingBuffer::new(EVENT_SLOTS);
    (
        LegProducer {
            hot: sp,
            spill: xp,
            spilling: false,
            events: ep,
            written: 0,
            pending_gap: 0,
            rate: leg_rate,
            leg_rate,
        },
        LegConsumer {
            hot: sc,
            spill: xc,
            spilling: false,
            events: ec,
            read: 0,
        },
    )
}

fn to_leg_rate(n: usize, rate: u32, leg_rate: u32) -> u64 {
    (n as u64 * u64::from(leg_rate) + u64::from(rate) / 2) / u64::from(rate)
}

impl LegProducer {
    /// The dropped duration no push announced (the ring was still full
    /// when the frames stopped), in leg-rate samples; taken once.
    pub fn take_trailing_gap(&mut self) -> u64 {
        std::mem::take(&mut self.pending_gap)
    }

    /// Queue one frame; `silent` records it as zeros (a masked recording).
    /// Never allocates, locks or blocks.
    pub fn push(&mut self, frame: &[i16], rate: u32, silent: bool) -> Result<(), Dropped> {
        let dropped = Dropped {
            samples: to_leg_rate(frame.len(), rate, self.leg_rate),
        };
        if self.pending_gap > 0 {
            let gap = Mark::Event(LegEvent::Gap {
                at: self.written,
                samples: self.pending_gap,
            });
            if self.events.push(gap).is_err() {
                self.pending_gap += dropped.samples;
                return Err(dropped);
            }
            self.pending_gap = 0;
        }
        if !self.place(frame.len()) {
            self.pending_gap += dropped.samples;
            return Err(dropped);
        }
        if rate != self.rate {
            let change = Mark::Event(LegEvent::Rate {
                at: self.written,
                rate,
            });
            if self.events.push(change).is_err() {
                self.pending_gap += dropped.samples;
                return Err(dropped);
            }
            self.rate = rate;
        }
        if self.spilling {
            self.spill.write(frame, silent);
        } else {
            let chunk = self
                .hot
                .write_chunk_uninit(frame.len())
                .expect("slots checked in place(); only this producer writes");
            let written = if silent {
                chunk.fill_from_iter(std::iter::repeat(0i16))
            } else {
                chunk.fill_from_iter(frame.iter().copied())
            };
            debug_assert_eq!(written, frame.len());
        }
        self.written += frame.len() as u64;
        Ok(())
    }

    /// Choose where the next `n` samples go; false when neither has room.
    fn place(&mut self, n: usize) -> bool {
        if !self.spilling {
            return self.hot.slots() >= n || (self.spill.slots() >= n && self.switch());
        }
        // Back to the hot FIFO as soon as the worker has emptied it, so the
        // spill area is only used while a stall lasts.
        let hot_free = self.hot.slots();
        (hot_free == self.hot.buffer().capacity() && hot_free >= n && self.switch())
            || self.spill.slots() >= n
    }

    /// Mark that the samples from here on come from the other FIFO; false
    /// when the event ring has no room for the mark.
    fn switch(&mut self) -> bool {
        let marked = self.events.push(Mark::Switch { at: self.written }).is_ok();
        if marked {
            self.spilling = !self.spilling;
        }
        marked
    }
}

/// What the worker reads, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Samples(&'a [i16]),
    Event(LegEvent),
}

impl LegConsumer {
    /// Hand everything queued so far to `f`, in order.
    pub fn drain(&mut self, mut f: impl FnMut(Piece<'_>)) {
        loop {
            // Samples first: seeing a sample published after a mark
            // guarantees the mark is visible too (the producer pushes the
            // mark before the samples it precedes).
            let available = if self.spilling {
                self.spill.available()
            } else {
                self.hot.slots()
            };
            let next_at = self.events.peek().ok().map(|e| e.at());
            if let Some(at) = next_at {
                if at <= self.read {
                    match self.events.pop().expect("peeked") {
                        Mark::Event(e) => f(Piece::Event(e)),
                        Mark::Switch { .. } => self.spilling = !self.spilling,
                    }
                    continue;
                }
            }
            let limit = next_at.map_or(available, |at| available.min((at - self.read) as usize));
            if limit == 0 {
                return;
            }
            if self.spilling {
                self.spill.read(limit, |s| f(Piece::Samples(s)));
            } else {
                let chunk = self.hot.read_chunk(limit).expect("slots checked");
                let (a, b) = chunk.as_slices();
                if !a.is_empty() {
                    f(Piece::Samples(a));
                }
                if !b.is_empty() {
                    f(Piece::Samples(b));
                }
                chunk.commit_all();
            }
            self.read += limit as u64;
        }
    }

    /// True once the producer is gone and nothing is left to read.
    pub fn is_abandoned(&self) -> bool {
        self.hot.is_abandoned()
            && self.spill.is_abandoned()
            && self.hot.is_empty()
            && self.spill.is_empty()
            && self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn collect(c: &mut LegConsumer) -> Vec<Piece<'static>> {
        let mut out = Vec::new();
        c.drain(|p| match p {
            Piece::Samples(s) => out.push(Piece::Samples(Box::leak(s.to_vec().into_boxed_slice()))),
            Piece::Event(e) => out.push(Piece::Event(e)),
        });
        out
    }

    /// What the worker read, as a timeline: samples, and -1 for each
    /// sample of a gap.
    fn drain_timeline(c: &mut LegConsumer, got: &mut Vec<i32>) {
        c.drain(|piece| match piece {
            Piece::Samples(s) => got.extend(s.iter().map(|&x| x as i32)),
            Piece::Event(LegEvent::Gap { samples, .. }) => {
                got.extend(std::iter::repeat_n(-1, samples as usize))
            }
            Piece::Event(LegEvent::Rate { .. }) => unreachable!(),
        });
    }

    #[test]
    fn full_ring_drops_and_reports_gap_before_next_samples() {
        let (mut p, mut c) = split_ring(4, 0, 8000);
        p.push(&[1, 2, 3], 8000, false).unwrap();
        assert_eq!(p.push(&[4, 5], 8000, false), Err(Dropped { samples: 2 }));
        assert_eq!(collect(&mut c), vec![Piece::Samples(&[1, 2, 3])]);
        p.push(&[6], 8000, false).unwrap();
        assert_eq!(
            collect(&mut c),
            vec![
                Piece::Event(LegEvent::Gap { at: 3, samples: 2 }),
                Piece::Samples(&[6])
            ]
        );
    }

    #[test]
    fn masked_frames_are_zeros_and_rate_changes_are_marked() {
        let (mut p, mut c) = leg_ring(64, 8000);
        p.push(&[7, 7], 8000, true).unwrap();
        p.push(&[1, 2, 3, 4], 16000, false).unwrap();
        assert_eq!(
            collect(&mut c),
            vec![
                Piece::Samples(&[0, 0]),
                Piece::Event(LegEvent::Rate { at: 2, rate: 16000 }),
                Piece::Samples(&[1, 2, 3, 4]),
            ]
        );
    }

    #[test]
    fn dropped_duration_is_in_leg_rate_samples() {
        let (mut p, _c) = leg_ring(2, 8000);
        assert_eq!(
            p.push(&[0; 320], 16000, false),
            Err(Dropped { samples: 160 })
        );
    }

    #[test]
    fn a_full_hot_fifo_spills_and_the_worker_follows() {
        let (mut p, mut c) = split_ring(4, 8, 8000);
        p.push(&[1, 2, 3], 8000, false).unwrap();
        p.push(&[4, 5, 6], 8000, false).unwrap(); // spills
        p.push(&[7, 8, 9], 8000, false).unwrap(); // hot not empty yet: spills
        assert_eq!(p.push(&[0; 3], 8000, false), Err(Dropped { samples: 3 }));
        let mut got = Vec::new();
        c.drain(|piece| {
            if let Piece::Samples(s) = piece {
                got.extend_from_slice(s)
            }
        });
        assert_eq!(got, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        p.push(&[10], 8000, false).unwrap(); // hot empty again: back
        assert!(!p.spilling);
        assert_eq!(
            collect(&mut c),
            vec![
                Piece::Event(LegEvent::Gap { at: 9, samples: 3 }),
                Piece::Samples(&[10])
            ]
        );
    }

    /// The media thread and a worker at full speed on a ring small enough
    /// to spill all the time: every sample once, in order, or a gap.
    #[test]
    fn concurrent_push_and_drain_keep_the_timeline() {
        let (mut p, mut c) = split_ring(7, 50, 8000);
        let total = 200_000usize;
        let producer = std::thread::spawn(move || {
            let mut next = 0usize;
            let mut timeline = Vec::with_capacity(total);
            while next < total {
                let n = 1 + next % 13;
                let frame: Vec<i16> = (next..next + n).map(|k| (k % 30000) as i16).collect();
                match p.push(&frame, 8000, false) {
                    Ok(()) => timeline.extend(frame.iter().map(|&x| x as i32)),
                    Err(_) => timeline.extend(std::iter::repeat_n(-1, n)),
                }
                next += n;
                if next % 1000 < 13 {
                    std::thread::yield_now();
                }
            }
            // A trailing gap is announced by one more push.
            while p.push(&[], 8000, false).is_err() {}
            timeline
        });
        let mut got: Vec<i32> = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "the worker never saw the end"
            );
            let done = c.is_abandoned();
            drain_timeline(&mut c, &mut got);
            if done {
                break;
            }
        }
        let timeline = producer.join().unwrap();
        assert_eq!(got.len(), timeline.len());
        assert!(got == timeline, "samples out of order or lost");
        assert!(got.iter().any(|&x| x >= 0));
    }

    proptest! {
        /// Whatever the frame sizes and however often the worker drains,
        /// every pushed sample comes out once, in order, and every dropped
        /// sample is announced as a gap at the right place.
        #[test]
        fn ring_keeps_order_and_accounts_for_every_sample(
            frames in proptest::collection::vec(1usize..300, 1..200),
            drain_every in 1usize..10,
            hot in 1usize..500,
            spilled in 0usize..500,
        ) {
            let (mut p, mut c) = split_ring(hot, spilled, 8000);
            let mut expected_timeline: Vec<i32> = Vec::new(); // -1 = gap sample
            let mut got: Vec<i32> = Vec::new();
            let mut next = 0i32;
            for (i, &n) in frames.iter().enumerate() {
                let frame: Vec<i16> = (0..n).map(|k| ((next + k as i32) % 30000) as i16).collect();
                match p.push(&frame, 8000, false) {
                    Ok(()) => expected_timeline.extend(frame.iter().map(|&x| x as i32)),
                    Err(d) => {
                        prop_assert_eq!(d.samples, n as u64);
                        expected_timeline.extend(std::iter::repeat_n(-1, n));
                    }
                }
                next += n as i32;
                if i % drain_every == 0 {
                    drain_timeline(&mut c, &mut got);
                }
            }
            drain_timeline(&mut c, &mut got);
            // A trailing gap is only announced by the next successful push.
            let announced = got.len();
            prop_assert!(announced <= expected_timeline.len());
            prop_assert_eq!(&got[..], &expected_timeline[..announced]);
            prop_assert!(expected_timeline[announced..].iter().all(|&x| x == -1));
        }
    }
}
