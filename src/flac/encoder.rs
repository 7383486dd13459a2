//! The FLAC writer used while recording.
//!
//! Why not libFLAC: its stream encoder keeps 60-90 KiB of state per stream
//! whatever the settings (BENCHMARKS.md), and a call centre has hundreds of
//! streams open.  Why not the flacenc crate: it has no "wasted bits", so
//! audio decoded from G.711 (low 2 bits always zero) came out 12-19% larger
//! than libFLAC's.  Here a stream keeps only what it must: one block of
//! pending samples, the running MD5, its frame count and seek points; the
//! frames are made by `frame.rs`, whose scratch memory lives once per
//! worker thread and is shared by every leg that worker owns.
//!
//! We write the container ourselves: `fLaC`, STREAMINFO, Vorbis comments and
//! a fixed-size seek table, then frames.  Frames go to the file in batches
//! of about 0.4 s of audio (`FLUSH_AUDIO_MS`), and no frame waits longer than
//! `FLUSH_AGE` (a paused leg), so a killed PBX leaves a file that decodes up
//! to at most half a second before the cut.  Batches, not one write(2) per
//! 144 ms frame: on ext4 a buffered write costs about 7 µs of kernel time
//! whatever its size, and at 300 calls one write per frame was a quarter of
//! the encoder threads' time (BENCHMARKS.md, "Where the time goes").
//! `finish` rewrites STREAMINFO (total samples, MD5, frame sizes) and the
//! seek table in place.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

use super::frame::{self, Effort};

/// Seek points kept per file.  When the table is full, every other point is
/// dropped and the spacing doubles, so any call length fits in a fixed
/// number of bytes (18 per point).
pub const SEEK_POINTS: usize = 64;
const SEEK_SPACING_SECONDS: u64 = 10;
const BITS_PER_SAMPLE: usize = 16;
/// Where STREAMINFO's body starts: after `fLaC` and its block header.
const STREAMINFO_OFFSET: u64 = 8;
const STREAMINFO_LEN: usize = 34;
/// Where the audio's MD5 lies in STREAMINFO's body.
const STREAMINFO_MD5: std::ops::Range<usize> = 18..34;
/// The bytes of a FLAC file that [`streaminfo_md5`] needs.
pub const HEAD_LEN: usize = STREAMINFO_OFFSET as usize + STREAMINFO_LEN;

/// The MD5 of the decoded audio that a FLAC file's STREAMINFO carries,
/// read from the file's first [`HEAD_LEN`] bytes; None when `head` is not
/// the start of a FLAC file.
pub fn streaminfo_md5(head: &[u8]) -> Option<[u8; 16]> {
    let body = head.get(STREAMINFO_OFFSET as usize..HEAD_LEN)?;
    (head.starts_with(b"fLaC")).then(|| body[STREAMINFO_MD5].try_into().expect("16 bytes"))
}
const VENDOR: &str = concat!("legrec ", env!("CARGO_PKG_VERSION"));
/// Encoded frames are handed to the file once they hold this much audio ...
const FLUSH_AUDIO_MS: u64 = 400;
/// ... or 4 KiB (a page), whichever comes first ...
const FLUSH_BYTES: usize = 4096;
/// ... and none waits longer than this (see `flush_stale`).
pub const FLUSH_AGE: Duration = Duration::from_millis(500);

/// Samples per FLAC frame for telephone speech: 144 ms.  Shorter frames
/// follow speech better than the 4096 of music encoders, and put audio on
/// disk every 144 ms (BENCHMARKS.md).
pub fn speech_blocksize(sample_rate: u32) -> u32 {
    if sample_rate >= 16000 {
        2304
    } else {
        1152
    }
}

/// Settings for one FLAC stream.
#[derive(Clone, Debug)]
pub struct FlacSpec {
    pub channels: u32,
    pub sample_rate: u32,
    /// libFLAC's scale: 0-2 fixed predictors only; 3-8 also linear
    /// prediction (smaller on speech, more CPU).
    pub compression_level: u32,
    /// Samples per FLAC frame; 0 = [`speech_blocksize`].
    pub blocksize: u32,
    /// Vorbis comments, written as `NAME=value`.
    pub tags: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeekPoint {
    sample: u64,
    offset: u64,
    frame_samples: u32,
}

/// Encoding scratch shared by every stream a thread writes.
#[derive(Default)]
struct Scratch {
    frame: frame::Scratch,
    le: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// Time this thread spent in writes to the files since it last asked
    /// (`take_write_time`): what tells a disk that blocks from a CPU that
    /// is short when an encoder pass runs long.
    static WRITE_TIME: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// The time this thread spent writing to a recording's files since the
/// last call, and start counting again.
pub fn take_write_time() -> Duration {
    WRITE_TIME.with(|t| t.replace(Duration::ZERO))
}

/// Run `write`, a write to a recording's files, counting its time for
/// `take_write_time`.
pub fn timed_write<T>(write: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = write();
    WRITE_TIME.with(|t| t.set(t.get() + started.elapsed()));
    result
}

/// One FLAC file being written.
pub struct FlacWriter {
    /// None until the file is there (`attach`): the stream is encoded into
    /// `unwritten` meanwhile, the header first.
    file: Option<File>,
    position: u64,
    audio_offset: u64,
    effort: Effort,
    sample_rate: u32,
    channels: usize,
    blocksize: usize,
    /// Interleaved samples of the block being filled.
    pending: Vec<i16>,
    md5: Md5,
    frames: u64,
    samples: u64,
    min_frame: u32,
    max_frame: u32,
    points: Vec<SeekPoint>,
    spacing: u64,
    /// Encoded frames not yet handed to the file, the samples they hold,
    /// and when the oldest of them was encoded.
    unwritten: Vec<u8>,
    unwritten_samples: u64,
    unwritten_since: Option<Instant>,
    /// The Vorbis comments as written at the start, and tags learnt
    /// during the call (the agent who answered) that `finish` adds in the
    /// padding reserved after them.
    tags: Vec<(String, String)>,
    late_tags: Vec<(String, String)>,
}

/// Room kept after the Vorbis comments for tags known only at the end.
const LATE_TAG_ROOM: usize = 512;
/// Where the Vorbis comment block's header is: after STREAMINFO.
const COMMENTS_OFFSET: u64 = STREAMINFO_OFFSET + STREAMINFO_LEN as u64;

fn bad_spec(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("FLAC settings: {why}"))
}

impl FlacWriter {
    /// Start a FLAC stream into `file` (already created and empty).
    pub fn new(file: File, spec: &FlacSpec) -> io::Result<Self> {
        let mut w = Self::unattached(spec)?;
        w.attach(file)?;
        Ok(w)
    }

    /// Start a FLAC stream whose file is not there yet: what is encoded
    /// stays in memory until `attach`.  A recording starts encoding at once
    /// while its files are created elsewhere, so a slow disk costs memory,
    /// not audio.
    pub fn unattached(spec: &FlacSpec) -> io::Result<Self> {
        let channels = spec.channels as usize;
        let blocksize = match spec.blocksize {
            0 => speech_blocksize(spec.sample_rate),
            n => n,
        } as usize;
        if !(16..=65535).contains(&blocksize) {
            return Err(bad_spec(format!("block size {blocksize}")));
        }
        if !(1..=2).contains(&channels) {
            return Err(bad_spec(format!("{channels} channels")));
        }
        if !(1..(1 << 20)).contains(&spec.sample_rate) {
            return Err(bad_spec(format!("sample rate {}", spec.sample_rate)));
        }
        let head = header(spec, blocksize as u16);
        Ok(FlacWriter {
            file: None,
            position: head.len() as u64,
            audio_offset: head.len() as u64,
            effort: Effort::from_level(spec.compression_level),
            sample_rate: spec.sample_rate,
            channels,
            blocksize,
            pending: Vec::with_capacity(blocksize * channels),
            md5: Md5::new(),
            frames: 0,
            samples: 0,
            min_frame: u32::MAX,
            max_frame: 0,
            points: Vec::new(),
            spacing: SEEK_SPACING_SECONDS * u64::from(spec.sample_rate),
            unwritten: head,
            unwritten_samples: 0,
            unwritten_since: None,
            tags: spec.tags.clone(),
            late_tags: Vec::new(),
        })
    }

    /// Encode interleaved samples (`channels` per frame).
    pub fn write(&mut self, mut interleaved: &[i16]) -> io::Result<()> {
        debug_assert_eq!(interleaved.len() % self.channels, 0);
        let block = self.blocksize * self.channels;
        while !interleaved.is_empty() {
            let take = (block - self.pending.len()).min(interleaved.len());
            self.pending.extend_from_slice(&interleaved[..take]);
            interleaved = &interleaved[take..];
            if self.pending.len() == block {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Write `n` frames of digital silence.
    pub fn write_silence(&mut self, n: u64) -> io::Result<()> {
        const CHUNK: usize = 1152 * 2;
        let zeros = [0i16; CHUNK];
        let mut left = n as usize * self.channels;
        while left > 0 {
            let take = left.min(CHUNK - CHUNK % self.channels);
            self.write(&zeros[..take])?;
            left -= take;
        }
        Ok(())
    }

    /// Hand the encoded frames to the file if the oldest has waited
    /// `FLUSH_AGE` (a leg that paused or went quiet mid-batch).
    pub fn flush_stale(&mut self, now: Instant) -> io::Result<()> {
        match self.unwritten_since {
            Some(t) if now.saturating_duration_since(t) >= FLUSH_AGE => self.flush(),
            _ => Ok(()),
        }
    }

    /// Give the stream its file (created and empty): what was encoded so
    /// far goes into it now.
    pub fn attach(&mut self, file: File) -> io::Result<()> {
        debug_assert!(self.file.is_none());
        self.file = Some(file);
        self.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(()); // kept until `attach`
        };
        if !self.unwritten.is_empty() {
            timed_write(|| file.write_all(&self.unwritten))?;
            self.unwritten.clear();
        }
        self.unwritten_samples = 0;
        self.unwritten_since = None;
        Ok(())
    }

    fn encode_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let frame_samples = self.pending.len() / self.channels;
        SCRATCH.with(|s| {
            let s = &mut *s.borrow_mut();
            // FLAC's MD5 is over the samples as little-endian bytes; one
            // update per block (per sample costs more than the encoding).
            self.md5.update(le_bytes(&self.pending, &mut s.le));
            let bytes = frame::encode(
                &mut s.frame,
                &self.pending,
                self.channels,
                self.frames,
                self.sample_rate,
                self.effort,
            );
            self.note_frame(frame_samples as u32);
            self.unwritten.extend_from_slice(bytes);
            self.position += bytes.len() as u64;
            self.min_frame = self.min_frame.min(bytes.len() as u32);
            self.max_frame = self.max_frame.max(bytes.len() as u32);
            Ok::<_, io::Error>(())
        })?;
        self.frames += 1;
        self.samples += frame_samples as u64;
        self.pending.clear();
        self.unwritten_samples += frame_samples as u64;
        self.unwritten_since.get_or_insert_with(Instant::now);
        if self.unwritten.len() >= FLUSH_BYTES
            || self.unwritten_samples * 1000 >= FLUSH_AUDIO_MS * u64::from(self.sample_rate)
        {
            self.flush()?;
        }
        Ok(())
    }

    fn note_frame(&mut self, samples: u32) {
        let first = self.samples;
        let due = |points: &[SeekPoint], spacing: u64| {
            points
                .last()
                .map_or(0, |p| p.sample.saturating_add(spacing))
        };
        if first < due(&self.points, self.spacing) {
            return;
        }
        if self.points.len() == SEEK_POINTS {
            // Thin out: keep every other point and double the spacing.
            let mut i = 0;
            self.points.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.spacing *= 2;
            if first < due(&self.points, self.spacing) {
                return;
            }
        }
        self.points.push(SeekPoint {
            sample: first,
            offset: self.position - self.audio_offset,
            frame_samples: samples,
        });
    }

    /// A tag learnt during the call, written by `finish` into the room kept
    /// after the comments (tags that do not fit are left out).
    pub fn add_tag(&mut self, name: &str, value: &str) {
        self.late_tags.push((name.to_string(), value.to_string()));
    }

    /// Encode the last, shorter block, then rewrite STREAMINFO, the
    /// comments (with the late tags) and the seek table.  Returns the file,
    /// synced.
    pub fn finish(mut self) -> io::Result<File> {
        self.encode_pending()?;
        self.flush()?;
        let Some(mut file) = self.file.take() else {
            return Err(io::Error::other("the FLAC file was never created"));
        };
        let mut streaminfo = [0u8; STREAMINFO_LEN];
        let block = self.blocksize as u16;
        streaminfo[0..2].copy_from_slice(&block.to_be_bytes());
        streaminfo[2..4].copy_from_slice(&block.to_be_bytes());
        if self.frames > 0 {
            streaminfo[4..7].copy_from_slice(&self.min_frame.to_be_bytes()[1..]);
            streaminfo[7..10].copy_from_slice(&self.max_frame.to_be_bytes()[1..]);
        }
        let packed = stream_format(self.sample_rate, self.channels as u32, self.samples);
        streaminfo[10..18].copy_from_slice(&packed.to_be_bytes());
        let digest = std::mem::take(&mut self.md5).finalize();
        streaminfo[STREAMINFO_MD5].copy_from_slice(&digest);
        file.seek(SeekFrom::Start(STREAMINFO_OFFSET))?;
        file.write_all(&streaminfo)?;
        if !self.late_tags.is_empty() {
            let mut all = std::mem::take(&mut self.tags);
            let before = comments_and_padding(&all, 0).len();
            all.append(&mut self.late_tags);
            let blocks = comments_and_padding(&all, before);
            if blocks.len() == before {
                file.seek(SeekFrom::Start(COMMENTS_OFFSET))?;
                file.write_all(&blocks)?;
            }
        }
        if !self.points.is_empty() {
            file.seek(SeekFrom::Start(
                self.audio_offset - (SEEK_POINTS * 18) as u64,
            ))?;
            file.write_all(&seek_table(&self.points))?;
        }
        file.seek(SeekFrom::End(0))?;
        file.sync_data()?;
        Ok(file)
    }
}

/// The samples as little-endian bytes: on a little-endian machine the
/// samples' own memory (MD5 was a sixth of the encoder threads' time, and
/// the copy a tenth of that), elsewhere a copy into `scratch`.
fn le_bytes<'a>(samples: &'a [i16], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if cfg!(target_endian = "little") {
        // SAFETY: an i16 slice is `2 * len` initialized bytes, u8 has no
        // alignment requirement, and the bytes live as long as `samples`.
        unsafe { std::slice::from_raw_parts(samples.as_ptr().cast::<u8>(), samples.len() * 2) }
    } else {
        scratch.clear();
        scratch.extend(samples.iter().flat_map(|v| v.to_le_bytes()));
        scratch
    }
}

/// Sample rate (20 bits), channels - 1 (3), bits per sample - 1 (5) and
/// total samples (36), as STREAMINFO packs them.
fn stream_format(rate: u32, channels: u32, total: u64) -> u64 {
    (u64::from(rate) << 44)
        | (u64::from(channels - 1) << 41)
        | ((BITS_PER_SAMPLE as u64 - 1) << 36)
        | (total & ((1 << 36) - 1))
}

fn block_header(last: bool, kind: u8, len: usize) -> [u8; 4] {
    let len = (len as u32).to_be_bytes();
    [kind | if last { 0x80 } else { 0 }, len[1], len[2], len[3]]
}

/// `fLaC`, STREAMINFO as known at the start (total samples and MD5 unknown,
/// as FLAC allows), Vorbis comments, and a seek table of placeholders.
fn header(spec: &FlacSpec, blocksize: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + SEEK_POINTS * 18);
    out.extend_from_slice(b"fLaC");
    out.extend_from_slice(&block_header(false, 0, STREAMINFO_LEN));
    out.extend_from_slice(&blocksize.to_be_bytes());
    out.extend_from_slice(&blocksize.to_be_bytes());
    out.extend_from_slice(&[0; 6]); // frame sizes unknown
    out.extend_from_slice(&stream_format(spec.sample_rate, spec.channels, 0).to_be_bytes());
    out.extend_from_slice(&[0; 16]); // MD5 unknown
    out.extend_from_slice(&comments_and_padding(&spec.tags, 0));
    out.extend_from_slice(&block_header(true, 3, SEEK_POINTS * 18));
    out.extend_from_slice(&seek_table(&[]));
    out
}

/// The Vorbis comment block's body.
fn comments(tags: &[(String, String)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
    body.extend_from_slice(VENDOR.as_bytes());
    body.extend_from_slice(&(tags.len() as u32).to_le_bytes());
    for (name, value) in tags {
        // Vorbis field names are printable ASCII without '='.
        let name: String = name
            .chars()
            .filter(|c| (' '..='}').contains(c) && *c != '=')
            .collect();
        let entry = format!("{name}={value}");
        body.extend_from_slice(&(entry.len() as u32).to_le_bytes());
        body.extend_from_slice(entry.as_bytes());
    }
    body
}

/// The comment block and a padding block after it: `LATE_TAG_ROOM` of
/// padding when `total` is 0 (at the start), else padding that makes both
/// `total` bytes long, or nothing when the comments no longer fit.
fn comments_and_padding(tags: &[(String, String)], total: usize) -> Vec<u8> {
    let body = comments(tags);
    let pad = match total {
        0 => LATE_TAG_ROOM,
        t => match t.checked_sub(body.len() + 8) {
            Some(p) => p,
            None => return Vec::new(),
        },
    };
    let mut out = Vec::with_capacity(body.len() + pad + 8);
    out.extend_from_slice(&block_header(false, 4, body.len()));
    out.extend_from_slice(&body);
    out.extend_from_slice(&block_header(false, 1, pad));
    out.resize(out.len() + pad, 0);
    out
}

/// The seek table's body: our points, then placeholders.
fn seek_table(points: &[SeekPoint]) -> Vec<u8> {
    let mut body = Vec::with_capacity(SEEK_POINTS * 18);
    for i in 0..SEEK_POINTS {
        match points.get(i) {
            Some(p) => {
                body.extend_from_slice(&p.sample.to_be_bytes());
                body.extend_from_slice(&p.offset.to_be_bytes());
                body.extend_from_slice(&(p.frame_samples as u16).to_be_bytes());
            }
            None => {
                body.extend_from_slice(&u64::MAX.to_be_bytes());
                body.extend_from_slice(&[0u8; 10]);
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flac::decoder::decode_to_vec;
    use proptest::prelude::*;

    /// Test audio of several shapes: a tone with noise, the same with the
    /// low bits zero as after G.711 (wasted bits), silence broken by a
    /// click, white noise at full scale (verbatim), and full-scale square
    /// waves (the extremes of every predictor).
    fn signal(n: usize, seed: u32) -> Vec<i16> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        let shape = seed % 5;
        (0..n)
            .map(|i| {
                let r = next();
                let tone = (i as f64 * 0.07).sin() * 9000.0;
                match shape {
                    0 => (tone + f64::from((r % 2001) as i32 - 1000)) as i16,
                    1 => ((tone as i16) & !3) << (r % 2),
                    2 => i16::from(i % 3000 == 2999) * 1234,
                    3 => r as i16,
                    _ => {
                        if (i / (1 + seed as usize % 7)).is_multiple_of(2) {
                            i16::MAX
                        } else {
                            i16::MIN
                        }
                    }
                }
            })
            .collect()
    }

    fn encode(path: &std::path::Path, spec: &FlacSpec, pieces: &[&[i16]]) {
        let f = File::create(path).unwrap();
        let mut w = FlacWriter::new(f, spec).unwrap();
        for p in pieces {
            w.write(p).unwrap();
        }
        w.finish().unwrap();
    }

    fn spec(channels: u32, level: u32) -> FlacSpec {
        FlacSpec {
            channels,
            sample_rate: 8000,
            compression_level: level,
            blocksize: 0,
            tags: vec![("LEGREC_LEG".into(), "in".into())],
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any length, written in any pieces, mono or stereo, at either
        /// kind of level, decodes bit for bit with a matching MD5.
        #[test]
        fn round_trip(len in 0usize..6000, cut in 0usize..6000, stereo: bool, lpc: bool, seed: u32) {
            let channels = if stereo { 2 } else { 1 };
            let samples = signal(len * channels, seed);
            let cut = cut.min(len) * channels;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.flac");
            let level = if lpc { 5 } else { 2 };
            encode(&path, &spec(channels as u32, level), &[&samples[..cut], &samples[cut..]]);
            let (decoded, chans) = decode_to_vec(&path).unwrap();
            prop_assert_eq!(decoded.error, None);
            prop_assert_eq!(decoded.info.total_samples, len as u64);
            if len > 0 {
                prop_assert_eq!(decoded.md5_ok, Some(true));
                for (c, chan) in chans.iter().enumerate() {
                    let want: Vec<i16> = samples.iter().skip(c).step_by(channels).copied().collect();
                    prop_assert_eq!(chan, &want);
                }
            }
        }
    }

    /// The reference tool accepts the file (STREAMINFO, seek table, MD5)
    /// and reads our tags.
    #[test]
    fn reference_flac_tool_accepts_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.flac");
        // 100 s: enough frames for the seek table to fill and thin out.
        let samples = signal(8000 * 100, 7);
        encode(&path, &spec(1, 2), &[&samples]);
        let out = std::process::Command::new("flac")
            .args(["-t", "-s"])
            .arg(&path)
            .output()
            .expect("the flac tool is installed by scripts/setup-deps");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let tags = std::process::Command::new("metaflac")
            .args(["--list", "--block-type=SEEKTABLE,VORBIS_COMMENT"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&tags.stdout);
        assert!(text.contains("LEGREC_LEG=in"), "{text}");
        // A point every 10 s, on the first frame boundary after it.
        assert!(text.contains("point 1: sample_number=80640,"), "{text}");
        assert!(text.contains("point 9: sample_number=725760,"), "{text}");
        let info = decode_to_vec(&path).unwrap().0;
        assert_eq!(info.info.total_samples, 800_000);
    }

    /// A tag learnt at the end (the agent) lands in the reserved room; one
    /// too long for it is left out and the file stays valid.
    #[test]
    fn late_tags_are_written_into_the_room_after_the_comments() {
        let dir = tempfile::tempdir().unwrap();
        let samples = signal(8000 * 3, 5);
        for (name, value, kept) in [
            ("ok", "Alice Smith (PJSIP/agent1)".to_string(), true),
            ("long", "x".repeat(LATE_TAG_ROOM), false),
        ] {
            let path = dir.path().join(format!("{name}.flac"));
            let mut w = FlacWriter::new(File::create(&path).unwrap(), &spec(1, 5)).unwrap();
            w.write(&samples).unwrap();
            w.add_tag("LEGREC_AGENT", &value);
            w.finish().unwrap();
            let out = std::process::Command::new("metaflac")
                .arg("--export-tags-to=-")
                .arg(&path)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("LEGREC_LEG=in"), "{text}");
            assert_eq!(
                text.contains(&format!("LEGREC_AGENT={value}")),
                kept,
                "{text}"
            );
            let t = std::process::Command::new("flac")
                .args(["-t", "-s"])
                .arg(&path)
                .status()
                .unwrap();
            assert!(t.success());
            assert_eq!(decode_to_vec(&path).unwrap().1[0], samples);
        }
    }

    /// A stream is cut where the PBX died: what was written decodes.
    #[test]
    fn unfinished_file_decodes_up_to_the_last_frame() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.flac");
        // Quiet audio, so the frames are small and only their length
        // decides when a batch goes out.
        let samples: Vec<i16> = signal(5000, 3).iter().map(|s| s >> 10).collect();
        let f = File::create(&path).unwrap();
        let mut w = FlacWriter::new(f, &spec(1, 2)).unwrap();
        w.write(&samples).unwrap();
        // No finish: the first batch (three frames, 432 ms >= 400 ms) is on
        // disk, the fourth frame waits for its batch ...
        let (decoded, chans) = decode_to_vec(&path).unwrap();
        assert_eq!(decoded.samples, 3 * 1152);
        assert_eq!(chans[0], samples[..3 * 1152]);
        // ... until it is FLUSH_AGE old.
        w.flush_stale(Instant::now()).unwrap();
        assert_eq!(decode_to_vec(&path).unwrap().0.samples, 3 * 1152);
        w.flush_stale(Instant::now() + FLUSH_AGE).unwrap();
        drop(w);
        let (decoded, chans) = decode_to_vec(&path).unwrap();
        assert_eq!(decoded.samples, 4 * 1152);
        assert_eq!(chans[0], samples[..4 * 1152]);
    }
}
