//! Reading FLAC back with libFLAC: for `legrec verify`, `legrec repair` and
//! the tests.  Frames are streamed to a closure so an hour-long call needs
//! no hour-long buffer.
//!
//! libFLAC calls back into Rust from its C frames, and this runs inside the
//! PBX (the repair at module load): a panic in a callback (or in the
//! caller's closure) must not unwind through C, which aborts the process.
//! Each callback catches it, tells libFLAC to stop, and `decode_file`
//! returns it as an error.

use std::ffi::{CStr, CString};
use std::os::raw::c_void;
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::ptr::NonNull;

use libflac_sys as sys;

/// What STREAMINFO and the Vorbis comments say.
#[derive(Clone, Debug, Default)]
pub struct StreamInfo {
    pub sample_rate: u32,
    pub channels: u32,
    pub bits_per_sample: u32,
    /// 0 when unknown (a stream cut before finish).
    pub total_samples: u64,
    pub md5: [u8; 16],
    pub tags: Vec<(String, String)>,
}

impl StreamInfo {
    pub fn md5_hex(&self) -> String {
        crate::hex(&self.md5)
    }
}

/// The outcome of decoding a whole file.
#[derive(Debug, Default)]
pub struct Decoded {
    pub info: StreamInfo,
    /// Samples per channel that decoded cleanly.
    pub samples: u64,
    /// The first decoding error, if any (a cut file ends with one).
    pub error: Option<String>,
    /// False when libFLAC's MD5 check of the decoded audio failed; true when
    /// it passed; None when it could not be checked (no MD5 stored, or the
    /// stream did not decode to the end).
    pub md5_ok: Option<bool>,
}

type FrameSink<'s> = dyn FnMut(&[i16], u32) + 's;

struct State<'a, 's> {
    info: StreamInfo,
    samples: u64,
    error: Option<String>,
    sink: &'a mut FrameSink<'s>,
    scratch: Vec<i16>,
    /// A callback panicked (caught): what decoded is not to be trusted.
    panicked: bool,
}

/// The `State` behind libFLAC's client pointer.
///
/// SAFETY (for callers): `client` is the `&mut State` that `decode_file`
/// registered, alive for the whole decode, and libFLAC calls back on the
/// decoding thread only, one callback at a time.
unsafe fn state<'x, 'a, 's>(client: *mut c_void) -> &'x mut State<'a, 's> {
    // SAFETY: the caller's promise above.
    unsafe { &mut *(client as *mut State<'a, 's>) }
}

unsafe extern "C" fn write_cb(
    _dec: *const sys::FLAC__StreamDecoder,
    frame: *const sys::FLAC__Frame,
    buffer: *const *const sys::FLAC__int32,
    client: *mut c_void,
) -> sys::FLAC__StreamDecoderWriteStatus {
    // SAFETY: see `state`.
    let st = unsafe { state(client) };
    let caught = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libFLAC hands a valid frame for the duration of the call.
        let header = unsafe { &(*frame).header };
        let (n, ch) = (header.blocksize as usize, header.channels as usize);
        st.scratch.clear();
        st.scratch.reserve(n * ch);
        for i in 0..n {
            for c in 0..ch {
                // SAFETY: libFLAC hands `channels` channel pointers of
                // `blocksize` samples each.
                let s = unsafe { *(*buffer.add(c)).add(i) };
                st.scratch
                    .push(s.clamp(i16::MIN as i32, i16::MAX as i32) as i16);
            }
        }
        st.samples += n as u64;
        (st.sink)(&st.scratch, ch as u32);
    }));
    if caught.is_err() {
        st.panicked = true;
        return sys::FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
    }
    sys::FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE
}

unsafe extern "C" fn metadata_cb(
    _dec: *const sys::FLAC__StreamDecoder,
    meta: *const sys::FLAC__StreamMetadata,
    client: *mut c_void,
) {
    // SAFETY: see `state`.
    let st = unsafe { state(client) };
    let caught = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: libFLAC hands a valid metadata block for the call; the
        // union member read is the one `type_` names, and a Vorbis comment
        // holds `num_comments` entries of `length` bytes each.
        let meta = unsafe { &*meta };
        if meta.type_ == sys::FLAC__METADATA_TYPE_STREAMINFO {
            // SAFETY: `type_` says the union holds stream_info.
            let si = unsafe { &meta.data.stream_info };
            st.info.sample_rate = si.sample_rate;
            st.info.channels = si.channels;
            st.info.bits_per_sample = si.bits_per_sample;
            st.info.total_samples = si.total_samples;
            st.info.md5 = si.md5sum;
        } else if meta.type_ == sys::FLAC__METADATA_TYPE_VORBIS_COMMENT {
            // SAFETY: `type_` says the union holds vorbis_comment.
            let vc = unsafe { &meta.data.vorbis_comment };
            for i in 0..vc.num_comments as usize {
                // SAFETY: i < num_comments, and each entry holds `length`
                // bytes (libFLAC's format).
                let e = unsafe { &*vc.comments.add(i) };
                // SAFETY: as above.
                let bytes = unsafe { std::slice::from_raw_parts(e.entry, e.length as usize) };
                let text = String::from_utf8_lossy(bytes);
                if let Some((k, v)) = text.split_once('=') {
                    st.info.tags.push((k.to_string(), v.to_string()));
                }
            }
        }
    }));
    if caught.is_err() {
        st.panicked = true;
    }
}

unsafe extern "C" fn error_cb(
    _dec: *const sys::FLAC__StreamDecoder,
    status: sys::FLAC__StreamDecoderErrorStatus,
    client: *mut c_void,
) {
    // SAFETY: see `state`.
    let st = unsafe { state(client) };
    if st.error.is_none() {
        // SAFETY: libFLAC's table has a NUL-terminated string for every
        // status it passes.  Nothing here can panic but the allocation.
        let text = unsafe {
            CStr::from_ptr(
                *sys::FLAC__StreamDecoderErrorStatusString
                    .as_ptr()
                    .add(status as usize),
            )
        };
        st.error = Some(format!(
            "decoding error after {} samples: {}",
            st.samples,
            text.to_string_lossy()
        ));
    }
}

/// Decode `path`, handing each frame's interleaved samples (and the channel
/// count) to `on_frame`.  Never fails on bad audio: a cut or damaged file
/// reports how far it decoded and the first error.
pub fn decode_file(path: &Path, on_frame: &mut FrameSink<'_>) -> std::io::Result<Decoded> {
    let cpath = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("path contains NUL"))?;
    // SAFETY: no arguments; NULL (out of memory) is checked.
    let dec = NonNull::new(unsafe { sys::FLAC__stream_decoder_new() })
        .ok_or_else(|| std::io::Error::other("libFLAC: out of memory"))?;
    let dec = dec.as_ptr();
    let mut st = State {
        info: StreamInfo::default(),
        samples: 0,
        error: None,
        sink: on_frame,
        scratch: Vec::new(),
        panicked: false,
    };
    // SAFETY: `dec` is a live decoder until the delete below on every path;
    // `st` outlives the decode (the callbacks' client pointer); `cpath` is
    // NUL-terminated.
    let result = unsafe {
        sys::FLAC__stream_decoder_set_md5_checking(dec, 1);
        sys::FLAC__stream_decoder_set_metadata_respond(
            dec,
            sys::FLAC__METADATA_TYPE_VORBIS_COMMENT,
        );
        let status = sys::FLAC__stream_decoder_init_file(
            dec,
            cpath.as_ptr(),
            Some(write_cb),
            Some(metadata_cb),
            Some(error_cb),
            &mut st as *mut State as *mut c_void,
        );
        if status != sys::FLAC__STREAM_DECODER_INIT_STATUS_OK {
            sys::FLAC__stream_decoder_delete(dec);
            return Err(std::io::Error::other(format!(
                "cannot open {} as FLAC (init status {status})",
                path.display()
            )));
        }
        let ran = sys::FLAC__stream_decoder_process_until_end_of_stream(dec) != 0;
        let state = sys::FLAC__stream_decoder_get_state(dec);
        let clean = ran && state == sys::FLAC__STREAM_DECODER_END_OF_STREAM && st.error.is_none();
        let md5_ok = sys::FLAC__stream_decoder_finish(dec) != 0;
        sys::FLAC__stream_decoder_delete(dec);
        if !clean && st.error.is_none() {
            st.error = Some(format!(
                "decoder stopped in state {state} after {} samples",
                st.samples
            ));
        }
        if st.panicked {
            return Err(std::io::Error::other(format!(
                "internal error while decoding {} (caught)",
                path.display()
            )));
        }
        let md5_known = st.info.md5 != [0; 16];
        Decoded {
            samples: st.samples,
            error: st.error.take(),
            md5_ok: (clean && md5_known).then_some(md5_ok),
            info: std::mem::take(&mut st.info),
        }
    };
    Ok(result)
}

/// Decode a whole file into per-channel sample vectors (tests, small files).
pub fn decode_to_vec(path: &Path) -> std::io::Result<(Decoded, Vec<Vec<i16>>)> {
    let mut chans: Vec<Vec<i16>> = Vec::new();
    let mut sink = |frame: &[i16], ch: u32| {
        let ch = ch as usize;
        if chans.len() < ch {
            chans.resize(ch, Vec::new());
        }
        for (i, s) in frame.iter().enumerate() {
            chans[i % ch].push(*s);
        }
    };
    let decoded = decode_file(path, &mut sink)?;
    Ok((decoded, chans))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_frame_sink_is_an_error_not_an_abort() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.flac");
        let spec = crate::flac::encoder::FlacSpec {
            channels: 1,
            sample_rate: 8000,
            compression_level: 2,
            blocksize: 0,
            tags: Vec::new(),
        };
        let file = std::fs::File::create(&path).unwrap();
        let mut w = crate::flac::encoder::FlacWriter::new(file, &spec).unwrap();
        w.write(&[100i16; 8000]).unwrap();
        w.finish().unwrap();
        let quiet = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r = decode_file(&path, &mut |_, _| panic!("a sink that panics"));
        std::panic::set_hook(quiet);
        let e = r.expect_err("the panic must come back as an error");
        assert!(e.to_string().contains("internal error"), "{e}");
    }
}
