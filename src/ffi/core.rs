//! `legrec_core`: start, reload, list and stop the recorder.

use std::ffi::{c_char, c_void};

use super::bindings::*;
use super::guard::{c_string, copy_out};
use crate::notify::Notifier;
use crate::policy::config::{RawConfig, Settings};
use crate::recorder::intake::recording::{Outcome, Recording};
use crate::recorder::Core;
use std::sync::{Arc, OnceLock};

pub(crate) struct CoreHandle {
    pub core: Core,
    /// Which log sink is this core's (see log::install).
    log_owner: usize,
    /// `on_finish` and `notify_url`, beside the core.
    notifier: Arc<Notifier>,
}

/// Distinguishes cores in one process, so freeing one never removes the log
/// sink another installed.
static NEXT_LOG_OWNER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

#[derive(Clone, Copy)]
struct HostFinished {
    callback: legrec_finished_callback,
    userdata: usize,
}

fn status_code(s: crate::Status) -> legrec_status {
    match s {
        crate::Status::Recording => LEGREC_STATUS_RECORDING,
        crate::Status::Complete => LEGREC_STATUS_COMPLETE,
        crate::Status::Failed => LEGREC_STATUS_FAILED,
        crate::Status::Declined => LEGREC_STATUS_DECLINED,
        crate::Status::Discarded => LEGREC_STATUS_DISCARDED,
    }
}

fn notify_finished(host: HostFinished, rec: &Recording, outcome: &Outcome) {
    let Some(cb) = host.callback else { return };
    let files: Vec<String> = outcome
        .files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let id = c_string(&rec.id);
    let policy = c_string(&rec.policy.name);
    let channel = c_string(&rec.call.channel);
    let files = c_string(&files.join(","));
    let reason = c_string(&outcome.reason);
    let agent = c_string(&rec.agent().unwrap_or_default());
    let finished = legrec_finished {
        id: id.as_ptr(),
        policy: policy.as_ptr(),
        channel: channel.as_ptr(),
        files: files.as_ptr(),
        status: status_code(outcome.status),
        reason: reason.as_ptr(),
        seconds: outcome.seconds,
        agent: agent.as_ptr(),
    };
    // SAFETY: the host's callback, called as the header documents; what it is handed lives for the call.
    unsafe { cb(host.userdata as *mut c_void, &finished) };
}

fn write_err(err: *mut c_char, err_len: usize, text: &str) {
    // SAFETY: the buffer holds `len` writable bytes (header); copy_out handles NULL and 0.
    unsafe { copy_out(text, err, err_len) };
}

#[no_mangle]
pub unsafe extern "C" fn legrec_core_new(
    config: *const legrec_config,
    host: *const legrec_host,
    out: *mut *mut legrec_core,
    err: *mut c_char,
    err_len: usize,
) -> legrec_result {
    guarded!({
        let raw = try_ref!(config as RawConfig);
        check_null!(host, out);
        // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: checked non-NULL above; the caller's struct, valid for the call (header).
        let host = unsafe { *host };
        // The log sink is installed first so that start-up is logged.
        let log_owner = NEXT_LOG_OWNER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        super::log::install(host.log, host.userdata, log_owner);
        let settings = match Settings::from_raw(raw) {
            Ok(s) => s,
            Err(e) => {
                write_err(err, err_len, &e.to_string());
                super::log::uninstall(log_owner);
                return LEGREC_ERR_CONFIG;
            }
        };
        let finished = HostFinished {
            callback: host.finished,
            userdata: host.userdata as usize,
        };
        // Set once the notifier runs, before any recording can finish.
        let notifier_cell = Arc::new(OnceLock::<Arc<Notifier>>::new());
        let cell = Arc::clone(&notifier_cell);
        let on_finished: crate::recorder::FinishedFn = Box::new(move |rec, outcome| {
            notify_finished(finished, rec, outcome);
            if let Some(n) = cell.get() {
                n.finished(rec, outcome);
            }
        });
        let repair = settings
            .general
            .repair_interrupted
            .then(|| settings.general.spool_dir.clone());
        let started = Core::new(settings, Some(on_finished)).and_then(|mut core| {
            if let Some(spool) = repair {
                core.run_beside("legrec-repair", move |stop| {
                    crate::admin::repair::repair_at_start(&spool, stop)
                })?;
            }
            let notifier = Notifier::start(core.settings(), &mut core)?;
            let _ = notifier_cell.set(Arc::clone(&notifier));
            Ok((core, notifier))
        });
        match started {
            Ok((core, notifier)) => {
                let handle = Box::new(CoreHandle {
                    core,
                    log_owner,
                    notifier,
                });
                // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
                unsafe { *out = Box::into_raw(handle) as *mut legrec_core };
                LEGREC_OK
            }
            Err(e) => {
                write_err(err, err_len, &e.to_string());
                super::log::uninstall(log_owner);
                LEGREC_ERR_IO
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_core_reload(
    core: *mut legrec_core,
    config: *const legrec_config,
    err: *mut c_char,
    err_len: usize,
) -> legrec_result {
    guarded!({
        let handle = try_ref!(core as CoreHandle);
        let raw = try_ref!(config as RawConfig);
        match Settings::from_raw(raw) {
            Ok(s) => {
                handle.core.reload(s);
                handle.notifier.reload(handle.core.settings());
                LEGREC_OK
            }
            Err(e) => {
                log::error!("reload refused, keeping the running configuration: {e}");
                write_err(err, err_len, &e.to_string());
                LEGREC_ERR_CONFIG
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_core_free(core: *mut legrec_core) {
    guarded!({
        if core.is_null() {
            return;
        }
        // SAFETY: a handle this module's `_new` leaked, freed once: the header forbids any use after `_free`.
        let mut handle = unsafe { Box::from_raw(core as *mut CoreHandle) };
        handle.core.shutdown();
        super::log::uninstall(handle.log_owner);
        drop(handle);
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_core_policies(
    core: *const legrec_core,
    callback: legrec_policy_callback,
    userdata: *mut c_void,
) -> legrec_result {
    guarded!({
        let handle = try_ref!(core as CoreHandle);
        let Some(cb) = callback else {
            return LEGREC_ERR_NULL_PARAMETER;
        };
        let settings = handle.core.settings();
        for p in settings.policies.values() {
            let name = c_string(&p.name);
            let notice = c_string(&p.notice);
            let notice_to = c_string(p.notice_to.as_str());
            let consent = c_string(p.consent.as_str());
            let legs = c_string(p.legs.as_str());
            let info = legrec_policy_info {
                name: name.as_ptr(),
                notice: notice.as_ptr(),
                notice_to: notice_to.as_ptr(),
                consent: consent.as_ptr(),
                legs: legs.as_ptr(),
                sample_rate: p.sample_rate,
                beep_interval: p.beep_interval,
                min_duration: p.min_duration,
                record_notice: p.record_notice,
            };
            // SAFETY: the host's callback, called as the header documents; what it is handed lives for the call.
            unsafe { cb(userdata, &info) };
        }
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_core_recordings(
    core: *const legrec_core,
    callback: legrec_live_callback,
    userdata: *mut c_void,
) -> legrec_result {
    guarded!({
        let handle = try_ref!(core as CoreHandle);
        let Some(cb) = callback else {
            return LEGREC_ERR_NULL_PARAMETER;
        };
        for rec in handle.core.live() {
            if rec.is_stopped() {
                continue;
            }
            let id = c_string(&rec.id);
            let policy = c_string(&rec.policy.name);
            let channel = c_string(&rec.call.channel);
            let stats = super::stats::stats(&rec);
            let info = legrec_live_info {
                id: id.as_ptr(),
                policy: policy.as_ptr(),
                channel: channel.as_ptr(),
                seconds: stats.seconds,
                dropped_frames: stats.dropped_frames[0] + stats.dropped_frames[1],
                masked: stats.masked,
                paused: stats.paused,
            };
            // SAFETY: the host's callback, called as the header documents; what it is handed lives for the call.
            unsafe { cb(userdata, &info) };
        }
        LEGREC_OK
    })
}
