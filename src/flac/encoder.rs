//! A small safe writer over libFLAC's stream encoder.
//!
//! We drive libFLAC with our own write/seek/tell callbacks (flac-bound has no
//! seek callback, so its STREAMINFO is never rewritten).  With a seek
//! callback libFLAC rewrites STREAMINFO (total samples, MD5, frame sizes) at
//! finish.  The seek table is ours: libFLAC only fills template points whose
//! sample numbers are known in advance, and a call's length is not, so we
//! note where frames start while writing and rewrite the table's
//! placeholders at finish.
//!
//! Every FLAC frame goes to the file in one write(2) as soon as libFLAC
//! emits it, so a killed PBX leaves a file that decodes up to the cut.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::raw::c_void;
use std::ptr::{self, NonNull};

use libflac_sys as sys;

/// Seek points kept per file.  When the table is full, every other point is
/// dropped and the spacing doubles, so any call length fits in a fixed
/// number of bytes (18 per point).
pub const SEEK_POINTS: usize = 64;
const SEEK_SPACING_SECONDS: u64 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeekPoint {
    sample: u64,
    offset: u64,
    frame_samples: u32,
}

/// What libFLAC's callbacks write into.  Boxed so its address stays put for
/// the lifetime of the encoder.
struct Sink {
    file: File,
    position: u64,
    /// Byte offset of the first audio frame, once known.
    audio_offset: Option<u64>,
    samples_written: u64,
    points: Vec<SeekPoint>,
    spacing: u64,
    error: Option<io::Error>,
}

impl Sink {
    fn note_frame(&mut self, samples: u32) {
        let audio_offset = *self.audio_offset.get_or_insert(self.position);
        let first = self.samples_written;
        self.samples_written += u64::from(samples);
        let due = self
            .points
            .last()
            .map_or(0, |p| p.sample.saturating_add(self.spacing));
        if first < due {
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
            let due = self.points.last().map_or(0, |p| p.sample + self.spacing);
            if first < due {
                return;
            }
        }
        self.points.push(SeekPoint {
            sample: first,
            offset: self.position - audio_offset,
            frame_samples: samples,
        });
    }
}

unsafe extern "C" fn write_cb(
    _enc: *const sys::FLAC__StreamEncoder,
    buffer: *const sys::FLAC__byte,
    bytes: usize,
    samples: u32,
    _current_frame: u32,
    client: *mut c_void,
) -> sys::FLAC__StreamEncoderWriteStatus {
    // SAFETY: client is the Box<Sink> given at init; libFLAC passes the
    // buffer it owns for `bytes` bytes.
    let sink = unsafe { &mut *(client as *mut Sink) };
    let data = unsafe { std::slice::from_raw_parts(buffer, bytes) };
    if samples > 0 {
        sink.note_frame(samples);
    }
    match sink.file.write_all(data) {
        Ok(()) => {
            sink.position += bytes as u64;
            sys::FLAC__STREAM_ENCODER_WRITE_STATUS_OK
        }
        Err(e) => {
            sink.error.get_or_insert(e);
            sys::FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR
        }
    }
}

unsafe extern "C" fn seek_cb(
    _enc: *const sys::FLAC__StreamEncoder,
    offset: sys::FLAC__uint64,
    client: *mut c_void,
) -> sys::FLAC__StreamEncoderSeekStatus {
    let sink = unsafe { &mut *(client as *mut Sink) };
    match sink.file.seek(SeekFrom::Start(offset)) {
        Ok(p) => {
            sink.position = p;
            sys::FLAC__STREAM_ENCODER_SEEK_STATUS_OK
        }
        Err(e) => {
            sink.error.get_or_insert(e);
            sys::FLAC__STREAM_ENCODER_SEEK_STATUS_ERROR
        }
    }
}

unsafe extern "C" fn tell_cb(
    _enc: *const sys::FLAC__StreamEncoder,
    offset: *mut sys::FLAC__uint64,
    client: *mut c_void,
) -> sys::FLAC__StreamEncoderTellStatus {
    let sink = unsafe { &mut *(client as *mut Sink) };
    unsafe { *offset = sink.position };
    sys::FLAC__STREAM_ENCODER_TELL_STATUS_OK
}

/// Samples per FLAC frame for telephone speech: 144 ms.  libFLAC's default
/// of 4096 samples is 0.5 s at 8 kHz, longer than speech stays alike; 1152
/// makes files about 4% smaller on speech, puts audio on disk four times as
/// often, and needs 88 KiB per encoder instead of 153 KiB (BENCHMARKS.md).
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
    pub compression_level: u32,
    /// Samples per FLAC frame; 0 = libFLAC's choice for the level.
    pub blocksize: u32,
    /// Vorbis comments, written as `NAME=value`.
    pub tags: Vec<(String, String)>,
}

/// One FLAC file being written.
pub struct FlacWriter {
    encoder: NonNull<sys::FLAC__StreamEncoder>,
    sink: Box<Sink>,
    metadata: [*mut sys::FLAC__StreamMetadata; 2],
    channels: u32,
    scratch: Vec<i32>,
    finished: bool,
}

// SAFETY: the encoder and metadata are used by one thread at a time (the
// worker that owns the writer); libFLAC keeps no thread-local state.
unsafe impl Send for FlacWriter {}

fn flac_error(what: &str) -> io::Error {
    io::Error::other(format!("libFLAC: {what}"))
}

impl FlacWriter {
    /// Start a FLAC stream into `file` (already created and empty).
    pub fn new(file: File, spec: &FlacSpec) -> io::Result<Self> {
        let encoder = NonNull::new(unsafe { sys::FLAC__stream_encoder_new() })
            .ok_or_else(|| flac_error("out of memory"))?;
        let mut writer = FlacWriter {
            encoder,
            sink: Box::new(Sink {
                file,
                position: 0,
                audio_offset: None,
                samples_written: 0,
                points: Vec::with_capacity(SEEK_POINTS),
                spacing: SEEK_SPACING_SECONDS * u64::from(spec.sample_rate),
                error: None,
            }),
            metadata: [ptr::null_mut(); 2],
            channels: spec.channels,
            scratch: Vec::new(),
            finished: false,
        };
        writer.init(spec)?;
        Ok(writer)
    }

    fn init(&mut self, spec: &FlacSpec) -> io::Result<()> {
        let enc = self.encoder.as_ptr();
        unsafe {
            let ok = sys::FLAC__stream_encoder_set_channels(enc, spec.channels) != 0
                && sys::FLAC__stream_encoder_set_bits_per_sample(enc, 16) != 0
                && sys::FLAC__stream_encoder_set_sample_rate(enc, spec.sample_rate) != 0
                && sys::FLAC__stream_encoder_set_compression_level(enc, spec.compression_level)
                    != 0
                && (spec.blocksize == 0
                    || sys::FLAC__stream_encoder_set_blocksize(enc, spec.blocksize) != 0);
            // libFLAC computes the MD5 of the audio by default; STREAMINFO
            // gets it at finish.
            if !ok {
                return Err(flac_error("rejected the stream settings"));
            }
            self.metadata[0] = vorbis_comment(&spec.tags)?;
            let table = sys::FLAC__metadata_object_new(sys::FLAC__METADATA_TYPE_SEEKTABLE);
            if table.is_null()
                || sys::FLAC__metadata_object_seektable_template_append_placeholders(
                    table,
                    SEEK_POINTS as u32,
                ) == 0
            {
                if !table.is_null() {
                    sys::FLAC__metadata_object_delete(table);
                }
                return Err(flac_error("out of memory for the seek table"));
            }
            self.metadata[1] = table;
            if sys::FLAC__stream_encoder_set_metadata(enc, self.metadata.as_mut_ptr(), 2) == 0 {
                return Err(flac_error("rejected the metadata blocks"));
            }
            let status = sys::FLAC__stream_encoder_init_stream(
                enc,
                Some(write_cb),
                Some(seek_cb),
                Some(tell_cb),
                None,
                &mut *self.sink as *mut Sink as *mut c_void,
            );
            if status != sys::FLAC__STREAM_ENCODER_INIT_STATUS_OK {
                return Err(self
                    .sink
                    .error
                    .take()
                    .unwrap_or_else(|| flac_error(&format!("init failed with status {status}"))));
            }
        }
        Ok(())
    }

    /// Encode interleaved samples (`channels` per frame).
    pub fn write(&mut self, interleaved: &[i16]) -> io::Result<()> {
        if interleaved.is_empty() {
            return Ok(());
        }
        debug_assert_eq!(interleaved.len() % self.channels as usize, 0);
        self.scratch.clear();
        self.scratch
            .extend(interleaved.iter().map(|&s| i32::from(s)));
        let frames = (self.scratch.len() / self.channels as usize) as u32;
        // SAFETY: scratch holds exactly frames * channels samples.
        let ok = unsafe {
            sys::FLAC__stream_encoder_process_interleaved(
                self.encoder.as_ptr(),
                self.scratch.as_ptr(),
                frames,
            )
        };
        if ok == 0 {
            return Err(self.take_error());
        }
        Ok(())
    }

    /// Write `n` frames of digital silence.
    pub fn write_silence(&mut self, n: u64) -> io::Result<()> {
        const CHUNK: usize = 4096;
        let zeros = [0i16; CHUNK];
        let mut left = n as usize * self.channels as usize;
        while left > 0 {
            let take = left.min(CHUNK - CHUNK % self.channels as usize);
            self.write(&zeros[..take])?;
            left -= take;
        }
        Ok(())
    }

    fn take_error(&mut self) -> io::Error {
        if let Some(e) = self.sink.error.take() {
            return e;
        }
        let state = unsafe { sys::FLAC__stream_encoder_get_state(self.encoder.as_ptr()) };
        flac_error(&format!("encoder state {state}"))
    }

    /// Bytes handed to the file so far.
    pub fn bytes_on_disk(&self) -> u64 {
        self.sink.position
    }

    /// Flush the last block, let libFLAC rewrite STREAMINFO, then write our
    /// seek table into the placeholder block.  Returns the file, synced.
    pub fn finish(mut self) -> io::Result<File> {
        self.finished = true;
        let ok = unsafe { sys::FLAC__stream_encoder_finish(self.encoder.as_ptr()) };
        if ok == 0 {
            return Err(self.take_error());
        }
        self.rewrite_seek_table()?;
        self.sink.file.sync_data()?;
        let file = self.sink.file.try_clone()?;
        Ok(file)
    }

    fn rewrite_seek_table(&mut self) -> io::Result<()> {
        let sink = &mut self.sink;
        let Some(audio_offset) = sink.audio_offset else {
            return Ok(()); // no audio: the placeholders stay, which is legal
        };
        let table_len = SEEK_POINTS as u64 * 18;
        let mut body = Vec::with_capacity(table_len as usize);
        for i in 0..SEEK_POINTS {
            match sink.points.get(i) {
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
        // The seek table is the last metadata block, right before the audio.
        sink.file.seek(SeekFrom::Start(audio_offset - table_len))?;
        sink.file.write_all(&body)?;
        sink.file.seek(SeekFrom::End(0))?;
        Ok(())
    }
}

impl Drop for FlacWriter {
    fn drop(&mut self) {
        unsafe {
            if !self.finished {
                // An abandoned stream (failure path): let libFLAC release
                // its buffers; errors no longer matter.
                sys::FLAC__stream_encoder_finish(self.encoder.as_ptr());
            }
            sys::FLAC__stream_encoder_delete(self.encoder.as_ptr());
            for m in self.metadata {
                if !m.is_null() {
                    sys::FLAC__metadata_object_delete(m);
                }
            }
        }
    }
}

unsafe fn vorbis_comment(tags: &[(String, String)]) -> io::Result<*mut sys::FLAC__StreamMetadata> {
    let block = unsafe { sys::FLAC__metadata_object_new(sys::FLAC__METADATA_TYPE_VORBIS_COMMENT) };
    if block.is_null() {
        return Err(flac_error("out of memory for Vorbis comments"));
    }
    for (name, value) in tags {
        // NUL cannot appear in a C string; such bytes are dropped.
        let name = CString::new(name.replace('\0', "")).expect("NUL removed");
        let value = CString::new(value.replace('\0', "")).expect("NUL removed");
        let mut entry = sys::FLAC__StreamMetadata_VorbisComment_Entry {
            length: 0,
            entry: ptr::null_mut(),
        };
        let ok = unsafe {
            sys::FLAC__metadata_object_vorbiscomment_entry_from_name_value_pair(
                &mut entry,
                name.as_ptr(),
                value.as_ptr(),
            ) != 0
                && sys::FLAC__metadata_object_vorbiscomment_append_comment(block, entry, 0) != 0
        };
        if !ok {
            unsafe { sys::FLAC__metadata_object_delete(block) };
            return Err(flac_error(&format!("bad Vorbis comment {name:?}")));
        }
    }
    Ok(block)
}
