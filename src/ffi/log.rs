//! The log bridge: `log` records from any core thread go to the host's
//! callback (Asterisk's ast_log, FreeSWITCH's switch_log_printf).
//!
//! Nothing logs on the media path (it keeps counters instead).  A call site
//! that repeats itself (a full disk fails every recording at once) is cut
//! to a few lines per interval with a count of what was left out.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use log::{Level, LevelFilter, Log, Metadata, Record};

use super::bindings::*;
use super::guard::c_string;

#[derive(Clone, Copy)]
struct Sink {
    callback: legrec_log_callback,
    userdata: usize,
    owner: usize,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static LOGGER: Bridge = Bridge;

const BURST: u32 = 5;
const WINDOW: Duration = Duration::from_secs(10);

struct Callsite {
    window_start: Instant,
    count: u32,
    suppressed: u32,
}

static LIMITER: Mutex<Option<HashMap<(String, u32), Callsite>>> = Mutex::new(None);

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The panic hook that was there before ours, put back when the core goes:
/// the process (or the program that linked the core) may have its own.
static PREVIOUS_HOOK: Mutex<Option<PanicHook>> = Mutex::new(None);

struct Bridge;

/// Route log records to `callback` on behalf of `owner` (a core).
pub fn install(callback: legrec_log_callback, userdata: *mut std::ffi::c_void, owner: usize) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Debug);
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = Some(Sink {
        callback,
        userdata: userdata as usize,
        owner,
    });
    // A panic anywhere in the core is reported through the PBX's logger
    // instead of stderr; the guard turns it into an error code.
    let mut previous = PREVIOUS_HOOK.lock().unwrap_or_else(|e| e.into_inner());
    if previous.is_none() {
        *previous = Some(std::panic::take_hook());
        std::panic::set_hook(Box::new(|info| {
            log::error!("internal error (caught, the PBX is unaffected): {info}");
        }));
    }
}

/// Stop calling the host; only the core that installed the sink removes it.
pub fn uninstall(owner: usize) {
    let mut sink = SINK.write().unwrap_or_else(|e| e.into_inner());
    if sink.is_some_and(|s| s.owner == owner) {
        *sink = None;
        // Free what the statics hold: after `module unload` nothing would
        // reach it again (valgrind saw the rate limiter's table lost at
        // every unload).
        *LIMITER.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(hook) = PREVIOUS_HOOK
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            std::panic::set_hook(hook);
        }
    }
}

fn rate_limit(file: &str, line: u32) -> Option<u32> {
    let mut guard = LIMITER.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    let now = Instant::now();
    let site = map.entry((file.to_string(), line)).or_insert(Callsite {
        window_start: now,
        count: 0,
        suppressed: 0,
    });
    if now.duration_since(site.window_start) > WINDOW {
        site.window_start = now;
        site.count = 0;
    }
    site.count += 1;
    if site.count > BURST {
        site.suppressed += 1;
        None
    } else {
        Some(std::mem::take(&mut site.suppressed))
    }
}

impl Log for Bridge {
    fn enabled(&self, _: &Metadata) -> bool {
        SINK.read().map(|s| s.is_some()).unwrap_or(false)
    }

    fn log(&self, record: &Record) {
        let Some(sink) = *SINK.read().unwrap_or_else(|e| e.into_inner()) else {
            return;
        };
        let Some(callback) = sink.callback else {
            return;
        };
        let file = record.file().unwrap_or("");
        let line = record.line().unwrap_or(0);
        let mut message = record.args().to_string();
        if record.level() <= Level::Warn {
            match rate_limit(file, line) {
                None => return,
                Some(0) => {}
                Some(n) => message.push_str(&format!(" ({n} similar messages suppressed)")),
            }
        }
        let kv = |key: &str| {
            record
                .key_values()
                .get(log::kv::Key::from(key))
                .map(|v| v.to_string())
                .filter(|c| !c.is_empty())
                .map(|c| c_string(&c))
        };
        let (channel, uniqueid) = (kv("channel"), kv("uniqueid"));
        let level = match record.level() {
            Level::Error => LEGREC_LOG_ERROR,
            Level::Warn => LEGREC_LOG_WARN,
            Level::Info => LEGREC_LOG_INFO,
            Level::Debug => LEGREC_LOG_DEBUG,
            Level::Trace => LEGREC_LOG_TRACE,
        };
        let target = c_string(record.target());
        let file = c_string(file);
        let message = c_string(&message);
        let rec = legrec_log_record {
            level,
            target: target.as_ptr(),
            file: file.as_ptr(),
            line,
            channel: channel.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            uniqueid: uniqueid
                .as_ref()
                .map_or(std::ptr::null(), |c: &CString| c.as_ptr()),
            message: message.as_ptr(),
        };
        // SAFETY: the host's callback, called as the header documents; what it is handed lives for the call.
        unsafe { callback(sink.userdata as *mut std::ffi::c_void, &rec) };
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::rate_limit;

    #[test]
    fn a_repeating_call_site_is_cut_to_a_burst_and_counts_what_it_left_out() {
        let allowed: Vec<Option<u32>> = (0..8).map(|_| rate_limit("test.rs", 4242)).collect();
        assert_eq!(allowed[..5], [Some(0); 5]);
        assert_eq!(allowed[5..], [None, None, None]);
        // Another call site is not affected.
        assert_eq!(rate_limit("test.rs", 4243), Some(0));
    }
}
