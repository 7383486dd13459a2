//! Where a frame waits: one lock-free SPSC ring per leg between the PBX's
//! media thread and a worker.
//!
//! Samples go into a ring of `i16`.  Things that happen *between* samples
//! (a run of dropped frames, a change of sample rate) go into a small second
//! ring as events stamped with the sample position they precede, so the
//! worker can put silence or a resampler exactly where they belong.  The
//! producer never allocates, locks or blocks: when a ring is full the frame
//! is dropped and its duration remembered until an event can carry it.

use rtrb::{Consumer, Producer, RingBuffer};

/// Something that happens at a position in a leg's sample stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegEvent {
    /// `samples` (at the leg's rate) were dropped before position `at`.
    Gap { at: u64, samples: u64 },
    /// From position `at` on, samples arrive at `rate` Hz.
    Rate { at: u64, rate: u32 },
}

impl LegEvent {
    fn at(&self) -> u64 {
        match *self {
            LegEvent::Gap { at, .. } | LegEvent::Rate { at, .. } => at,
        }
    }
}

const EVENT_SLOTS: usize = 64;

/// The media thread's end.
pub struct LegProducer {
    samples: Producer<i16>,
    events: Producer<LegEvent>,
    written: u64,
    /// Dropped duration not yet announced, in leg-rate samples.
    pending_gap: u64,
    rate: u32,
    leg_rate: u32,
}

/// The worker's end.
pub struct LegConsumer {
    samples: Consumer<i16>,
    events: Consumer<LegEvent>,
    read: u64,
}

/// Why a frame was not queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The frame's duration in leg-rate samples.
    pub samples: u64,
}

/// A ring pair for one leg holding `capacity` samples.
///
/// The ring's memory is written once here, on the caller's (control)
/// thread, so the kernel maps its pages now: the media thread's first pass
/// through the ring then takes no page faults.
pub fn leg_ring(capacity: usize, leg_rate: u32) -> (LegProducer, LegConsumer) {
    let (mut sp, mut sc) = RingBuffer::new(capacity.max(1));
    if let Ok(chunk) = sp.write_chunk_uninit(capacity.max(1)) {
        chunk.fill_from_iter(std::iter::repeat(0i16));
    }
    if let Ok(chunk) = sc.read_chunk(capacity.max(1)) {
        chunk.commit_all();
    }
    let (ep, ec) = RingBuffer::new(EVENT_SLOTS);
    (
        LegProducer {
            samples: sp,
            events: ep,
            written: 0,
            pending_gap: 0,
            rate: leg_rate,
            leg_rate,
        },
        LegConsumer {
            samples: sc,
            events: ec,
            read: 0,
        },
    )
}

fn to_leg_rate(n: usize, rate: u32, leg_rate: u32) -> u64 {
    (n as u64 * u64::from(leg_rate) + u64::from(rate) / 2) / u64::from(rate)
}

impl LegProducer {
    /// Queue one frame; `silent` records it as zeros (a masked recording).
    /// Never allocates, locks or blocks.
    pub fn push(&mut self, frame: &[i16], rate: u32, silent: bool) -> Result<(), Dropped> {
        let dropped = Dropped {
            samples: to_leg_rate(frame.len(), rate, self.leg_rate),
        };
        if self.pending_gap > 0 {
            let gap = LegEvent::Gap {
                at: self.written,
                samples: self.pending_gap,
            };
            if self.events.push(gap).is_err() {
                self.pending_gap += dropped.samples;
                return Err(dropped);
            }
            self.pending_gap = 0;
        }
        if self.samples.slots() < frame.len() {
            self.pending_gap += dropped.samples;
            return Err(dropped);
        }
        if rate != self.rate {
            let change = LegEvent::Rate {
                at: self.written,
                rate,
            };
            if self.events.push(change).is_err() {
                self.pending_gap += dropped.samples;
                return Err(dropped);
            }
            self.rate = rate;
        }
        let chunk = self
            .samples
            .write_chunk_uninit(frame.len())
            .expect("slots checked above; only this producer writes");
        let written = if silent {
            chunk.fill_from_iter(std::iter::repeat(0i16))
        } else {
            chunk.fill_from_iter(frame.iter().copied())
        };
        debug_assert_eq!(written, frame.len());
        self.written += frame.len() as u64;
        Ok(())
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
            // Samples first: seeing a sample published after an event
            // guarantees the event is visible too (the producer pushes the
            // event before the samples it precedes).
            let available = self.samples.slots();
            let next_at = self.events.peek().ok().map(|e| e.at());
            if let Some(at) = next_at {
                if at <= self.read {
                    let e = self.events.pop().expect("peeked");
                    f(Piece::Event(e));
                    continue;
                }
            }
            let limit = next_at.map_or(available, |at| available.min((at - self.read) as usize));
            if limit == 0 {
                return;
            }
            let chunk = self.samples.read_chunk(limit).expect("slots checked");
            let (a, b) = chunk.as_slices();
            if !a.is_empty() {
                f(Piece::Samples(a));
            }
            if !b.is_empty() {
                f(Piece::Samples(b));
            }
            chunk.commit_all();
            self.read += limit as u64;
        }
    }

    /// True once the producer is gone and nothing is left to read.
    pub fn is_abandoned(&self) -> bool {
        self.samples.is_abandoned() && self.samples.is_empty() && self.events.is_empty()
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

    #[test]
    fn full_ring_drops_and_reports_gap_before_next_samples() {
        let (mut p, mut c) = leg_ring(4, 8000);
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

    proptest! {
        /// Whatever the frame sizes and however often the worker drains,
        /// every pushed sample comes out once, in order, and every dropped
        /// sample is announced as a gap at the right place.
        #[test]
        fn ring_keeps_order_and_accounts_for_every_sample(
            frames in proptest::collection::vec(1usize..300, 1..200),
            drain_every in 1usize..10,
            capacity in 1usize..1000,
        ) {
            let (mut p, mut c) = leg_ring(capacity, 8000);
            let mut expected_timeline: Vec<i32> = Vec::new(); // -1 = gap sample
            let mut got: Vec<i32> = Vec::new();
            let mut next = 0i32;
            let sink = |c: &mut LegConsumer, got: &mut Vec<i32>| c.drain(|piece| match piece {
                Piece::Samples(s) => got.extend(s.iter().map(|&x| x as i32)),
                Piece::Event(LegEvent::Gap { samples, .. }) => got.extend(std::iter::repeat(-1).take(samples as usize)),
                Piece::Event(LegEvent::Rate { .. }) => unreachable!(),
            });
            for (i, &n) in frames.iter().enumerate() {
                let frame: Vec<i16> = (0..n).map(|k| ((next + k as i32) % 30000) as i16).collect();
                match p.push(&frame, 8000, false) {
                    Ok(()) => expected_timeline.extend(frame.iter().map(|&x| x as i32)),
                    Err(d) => {
                        prop_assert_eq!(d.samples, n as u64);
                        expected_timeline.extend(std::iter::repeat(-1).take(n));
                    }
                }
                next += n as i32;
                if i % drain_every == 0 {
                    sink(&mut c, &mut got);
                }
            }
            sink(&mut c, &mut got);
            // A trailing gap is only announced by the next successful push.
            let announced = got.len();
            prop_assert!(announced <= expected_timeline.len());
            prop_assert_eq!(&got[..], &expected_timeline[..announced]);
            prop_assert!(expected_timeline[announced..].iter().all(|&x| x == -1));
        }
    }
}
