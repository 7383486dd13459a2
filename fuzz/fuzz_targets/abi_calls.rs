//! Random sequences of C ABI calls on one long-lived core, as a PBX shim
//! might make them, right or wrong: start, push (any length, any rate, NULL),
//! beep, mask, pause, notice, consent, stop, free, in any order.
//!
//! Must hold: no call panics (LEGREC_ERR_PANIC) or crashes; a valid frame is
//! never refused as invalid; every started recording is finalized once its
//! handle is freed; no recording fails (the spool is a healthy tmpfs); every
//! FLAC file kept decodes cleanly with a matching MD5.
#![no_main]

use std::ffi::{c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use legrec::ffi::bindings::*;
use libfuzzer_sys::fuzz_target;

const POLICIES: [&str; 6] = ["split", "stereo", "wide", "optin", "beep", "nope"];
const RATES: [u32; 9] = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 12345];

#[derive(Arbitrary, Debug)]
enum Op {
    Start { policy: u8, caller: String, unattended: bool },
    Push { rec: u8, leg: u8, len: u16, rate: u8, null: bool, huge: bool, seed: u16 },
    Beep { rec: u8, leg: u8, len: u16, rate: u8 },
    Mask { rec: u8, on: bool },
    Pause { rec: u8, on: bool },
    Notice { rec: u8, side: u8, played: bool },
    ConsentBegin { rec: u8 },
    Consent { rec: u8, digit: u8 },
    Stats { rec: u8 },
    Stop { rec: u8 },
    Free { rec: u8 },
}

struct Fuzz {
    core: *mut legrec_core,
    spool: std::path::PathBuf,
}
unsafe impl Send for Fuzz {}
unsafe impl Sync for Fuzz {}

static STARTED: AtomicU64 = AtomicU64::new(0);
static FINISHED: AtomicU64 = AtomicU64::new(0);
static PROBLEMS: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn finished(_: *mut c_void, f: *const legrec_finished) {
    let f = unsafe { &*f };
    let files = unsafe { CStr::from_ptr(f.files) }.to_string_lossy().into_owned();
    let reason = unsafe { CStr::from_ptr(f.reason) }.to_string_lossy().into_owned();
    let mut problems = Vec::new();
    if f.status == LEGREC_STATUS_FAILED {
        problems.push(format!("recording failed: {reason}"));
    }
    for file in files.split(',').filter(|p| p.ends_with(".flac")) {
        match legrec::flac::decoder::decode_file(file.as_ref(), &mut |_, _| {}) {
            Ok(d) if d.error.is_none() && d.md5_ok != Some(false) => {}
            Ok(d) => problems.push(format!("{file}: {:?} md5 {:?}", d.error, d.md5_ok)),
            Err(e) => problems.push(format!("{file}: {e}")),
        }
    }
    PROBLEMS.lock().unwrap().extend(problems);
    FINISHED.fetch_add(1, Ordering::SeqCst);
}

fn fuzz() -> &'static Fuzz {
    static F: OnceLock<Fuzz> = OnceLock::new();
    F.get_or_init(|| {
        // A tmpfs when there is one: thousands of small recordings.
        let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm" } else { "/tmp" };
        let spool = std::path::PathBuf::from(format!("{base}/legrec-fuzz-{}", std::process::id()));
        let c = unsafe { legrec_config_new() };
        let set = |s: &str, k: &str, v: &str| {
            let (s, k, v) = (CString::new(s).unwrap(), CString::new(k).unwrap(), CString::new(v).unwrap());
            assert_eq!(unsafe { legrec_config_set(c, s.as_ptr(), k.as_ptr(), v.as_ptr(), 1) }, LEGREC_OK);
        };
        set("general", "spool_dir", spool.to_str().unwrap());
        set("general", "workers", "2");
        set("general", "ring_ms", "200");
        set("split", "legs", "split");
        set("stereo", "legs", "both");
        set("wide", "sample_rate", "16000");
        set("optin", "consent", "opt-in");
        set("optin", "declined_action", "agent-only");
        set("beep", "beep_interval", "5");
        set("beep", "min_duration", "1");
        let host = legrec_host { log: None, finished: Some(finished), userdata: ptr::null_mut() };
        let mut core = ptr::null_mut();
        let mut err = [0 as std::ffi::c_char; 256];
        let r = unsafe { legrec_core_new(c, &host, &mut core, err.as_mut_ptr(), err.len()) };
        if r != LEGREC_OK {
            eprintln!("legrec_core_new: {r} {:?}", unsafe { CStr::from_ptr(err.as_ptr()) });
            std::process::abort();
        }
        unsafe { legrec_config_free(c) };
        Fuzz { core, spool }
    })
}

fn ok(r: legrec_result, allowed: &[legrec_result], what: &str) {
    assert_ne!(r, LEGREC_ERR_PANIC, "{what} panicked inside the core");
    assert!(r == LEGREC_OK || allowed.contains(&r), "{what} returned {r}");
}

fuzz_target!(|ops: Vec<Op>| {
    let f = fuzz();
    let mut recs: Vec<*mut legrec_recording> = Vec::new();
    let pick = |recs: &Vec<*mut legrec_recording>, i: u8| -> *mut legrec_recording {
        if recs.is_empty() { ptr::null_mut() } else { recs[i as usize % recs.len()] }
    };
    let null_ok = [LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_STOPPED];
    let state = [LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_STOPPED, LEGREC_ERR_STATE];
    let mut audio = vec![0i16; 48_001];
    for op in ops.into_iter().take(200) {
        match op {
            Op::Start { policy, caller, unattended } => {
                if recs.len() >= 4 {
                    continue;
                }
                let name = CString::new(POLICIES[policy as usize % POLICIES.len()]).unwrap();
                let caller = CString::new(caller.replace('\0', "")).unwrap();
                let chan = CString::new("Fuzz/1").unwrap();
                let call = legrec_call_info {
                    pbx: ptr::null(), channel: chan.as_ptr(), uniqueid: ptr::null(),
                    caller_number: caller.as_ptr(), caller_name: caller.as_ptr(),
                    callee: ptr::null(), queue: ptr::null(), unattended,
                };
                let mut out = ptr::null_mut();
                let r = unsafe { legrec_recording_start(f.core, name.as_ptr(), &call, &mut out) };
                // STATE: an unattended start of the opt-in policy.
                ok(r, &[LEGREC_ERR_UNKNOWN_POLICY, LEGREC_ERR_EXEMPT, LEGREC_ERR_STATE], "start");
                if r == LEGREC_OK {
                    STARTED.fetch_add(1, Ordering::SeqCst);
                    recs.push(out);
                }
            }
            Op::Push { rec, leg, len, rate, null, huge, seed } => {
                let h = pick(&recs, rec);
                let count = if huge { 48_000 + (len as usize % 2) } else { len as usize };
                for (i, s) in audio.iter_mut().take(count.min(48_001)).enumerate() {
                    *s = (((i as u32).wrapping_mul(2_654_435_761) ^ u32::from(seed)) >> 16) as i16 & !3;
                }
                let rate = RATES[rate as usize % RATES.len()];
                let p = if null { ptr::null() } else { audio.as_ptr() };
                let r = unsafe { legrec_recording_push(h, u32::from(leg % 3), p, count, rate) };
                ok(r, &[LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_INVALID_PARAMETER,
                        LEGREC_ERR_STOPPED, LEGREC_ERR_BUSY], "push");
                let valid = !h.is_null() && !null && leg % 3 < 2 && (1..=48_000).contains(&count)
                    && rate != 12345;
                if valid {
                    assert_ne!(r, LEGREC_ERR_INVALID_PARAMETER, "a valid frame was refused");
                }
            }
            Op::Beep { rec, leg, len, rate } => {
                let mut mixed = false;
                let n = (len as usize).min(audio.len());
                let r = unsafe {
                    legrec_recording_beep(pick(&recs, rec), u32::from(leg % 3), audio.as_mut_ptr(),
                        n, RATES[rate as usize % RATES.len()], &mut mixed)
                };
                ok(r, &[LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_INVALID_PARAMETER, LEGREC_ERR_STOPPED], "beep");
            }
            Op::Mask { rec, on } => {
                let by = CString::new("fuzz").unwrap();
                ok(unsafe { legrec_recording_mask(pick(&recs, rec), on, by.as_ptr()) }, &state, "mask");
            }
            Op::Pause { rec, on } => {
                ok(unsafe { legrec_recording_pause(pick(&recs, rec), on, ptr::null()) }, &state, "pause");
            }
            Op::Notice { rec, side, played } => {
                let (r, side) = (pick(&recs, rec), (side % 3) as legrec_side);
                let errs = [LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_STATE, LEGREC_ERR_INVALID_PARAMETER];
                ok(unsafe { legrec_recording_notice_begin(r, side) }, &errs, "notice_begin");
                ok(unsafe { legrec_recording_notice_end(r, side, played) }, &errs, "notice_end");
            }
            Op::ConsentBegin { rec } => {
                ok(unsafe { legrec_recording_consent_begin(pick(&recs, rec)) }, &state, "consent_begin");
            }
            Op::Consent { rec, digit } => {
                let mut d = 0;
                ok(unsafe { legrec_recording_consent(pick(&recs, rec), digit as std::ffi::c_char, &mut d) },
                   &[LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_STOPPED, LEGREC_ERR_STATE, LEGREC_ERR_INVALID_PARAMETER], "consent");
            }
            Op::Stats { rec } => {
                let h = pick(&recs, rec);
                let mut st = unsafe { std::mem::zeroed::<legrec_recording_stats>() };
                ok(unsafe { legrec_recording_stats_get(h, &mut st) }, &[LEGREC_ERR_NULL_PARAMETER], "stats");
                let mut buf = [0 as std::ffi::c_char; 8];
                ok(unsafe { legrec_recording_files(h, buf.as_mut_ptr(), buf.len()) },
                   &[LEGREC_ERR_NULL_PARAMETER, LEGREC_ERR_BUFFER_TOO_SMALL], "files");
            }
            Op::Stop { rec } => {
                ok(unsafe { legrec_recording_stop(pick(&recs, rec)) }, &null_ok, "stop");
            }
            Op::Free { rec } => {
                if !recs.is_empty() {
                    let i = rec as usize % recs.len();
                    unsafe { legrec_recording_free(recs.swap_remove(i)) };
                }
            }
        }
    }
    for h in recs.drain(..) {
        unsafe { legrec_recording_free(h) };
    }
    // Every recording is finalized by a worker, then checked.
    let t = Instant::now();
    while FINISHED.load(Ordering::SeqCst) < STARTED.load(Ordering::SeqCst) {
        assert!(t.elapsed() < Duration::from_secs(20), "a freed recording was never finalized");
        std::thread::sleep(Duration::from_millis(1));
    }
    let problems = std::mem::take(&mut *PROBLEMS.lock().unwrap());
    assert!(problems.is_empty(), "{problems:#?}");
    // Keep the tmpfs small.
    for p in POLICIES {
        let _ = std::fs::remove_dir_all(f.spool.join(p));
    }
    let _ = std::fs::remove_file(f.spool.join("audit.jsonl"));
});
