//! `legrec_recording`: one call's recording, from the PBX's side.

use std::ffi::{c_char, CString};
use std::sync::Arc;

use super::bindings::*;
use super::core::CoreHandle;
use super::guard::{c_string, copy_out, opt_str, req_str};
use super::stats::stats;
use crate::policy::admit;
use crate::policy::config::ConsentMode;
use crate::policy::config::NoticeTo;
use crate::policy::consent::{Decision, Then};
use crate::policy::keys::Pressed;
use crate::policy::plan::CallSide;
use crate::recorder::intake::peers::PeerInfo;
use crate::recorder::intake::recording::{CallInfo, NoticeError, PushError, Recording};
use crate::recorder::StartError;

pub(crate) struct RecordingHandle {
    pub rec: Arc<Recording>,
    /// The plan's strings, kept for legrec_recording_plan().
    notice: CString,
    consent_prompt: CString,
}

/// The PBX's sample rates we accept.
const RATES: [u32; 8] = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

/// A frame the media-thread functions accept: a known leg, 1 to
/// LEGREC_MAX_FRAME_SAMPLES samples, a known rate.
fn frame_ok(leg: legrec_leg, count: usize, sample_rate: u32) -> bool {
    leg <= LEGREC_LEG_OUT
        && (1..=LEGREC_MAX_FRAME_SAMPLES as usize).contains(&count)
        && RATES.contains(&sample_rate)
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_start(
    core: *mut legrec_core,
    policy: *const c_char,
    call: *const legrec_call_info,
    out: *mut *mut legrec_recording,
) -> legrec_result {
    guarded!({
        let core = try_ref!(core as CoreHandle);
        check_null!(policy, call, out);
        // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
        unsafe { *out = std::ptr::null_mut() };
        // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
        let Ok(policy) = (unsafe { req_str(policy) }) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        // SAFETY: checked non-NULL above; the caller's struct, valid for the call (header).
        let c = unsafe { &*call };
        let text = |p| {
            // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
            unsafe { opt_str(p) }
                .ok()
                .flatten()
                .unwrap_or("")
                .to_string()
        };
        let info = CallInfo {
            pbx: text(c.pbx),
            channel: text(c.channel),
            uniqueid: text(c.uniqueid),
            caller_number: text(c.caller_number),
            caller_name: text(c.caller_name),
            callee: text(c.callee),
            queue: admit::queue_name(&text(c.queue), &text(c.pbx_queue)).to_string(),
            unattended: c.unattended,
            notice_played_before: c.notice_played_before,
        };
        match core.core.start(policy, info) {
            Ok(rec) => {
                let notice = c_string(&rec.plan.notice);
                let consent_prompt = c_string(rec.policy.consent_prompt());
                let h = Box::new(RecordingHandle {
                    rec,
                    notice,
                    consent_prompt,
                });
                // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
                unsafe { *out = Box::into_raw(h) as *mut legrec_recording };
                LEGREC_OK
            }
            Err(StartError::UnknownPolicy(p)) => {
                log::warn!(
                    "LegRecord: no policy named '{}' in the configuration",
                    p.escape_debug()
                );
                LEGREC_ERR_UNKNOWN_POLICY
            }
            Err(StartError::Io(_)) => LEGREC_ERR_IO,
            Err(StartError::Exempt(_)) => LEGREC_ERR_EXEMPT,
            Err(StartError::ShuttingDown) => LEGREC_ERR_SHUTTING_DOWN,
            Err(StartError::NeedsConsentWindow(_)) => LEGREC_ERR_STATE,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_push(
    recording: *mut legrec_recording,
    leg: legrec_leg,
    samples: *const i16,
    count: usize,
    sample_rate: u32,
) -> legrec_result {
    guarded!({
        let h = try_ref!(quiet: recording as RecordingHandle);
        check_null!(quiet: samples);
        if !frame_ok(leg, count, sample_rate) {
            return LEGREC_ERR_INVALID_PARAMETER;
        }
        // SAFETY: the caller passes `count` readable samples.
        let frame = unsafe { std::slice::from_raw_parts(samples, count) };
        match h.rec.push(leg as usize, frame, sample_rate) {
            Ok(()) => LEGREC_OK,
            Err(PushError::Stopped) => LEGREC_ERR_STOPPED,
            Err(PushError::Busy) => LEGREC_ERR_BUSY,
        }
    })
}

fn who(by: *const c_char) -> String {
    // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
    unsafe { opt_str(by) }
        .ok()
        .flatten()
        .unwrap_or("unknown")
        .to_string()
}

/// Mask and pause share their checks: stopped recordings refuse, a change
/// to the state already in force is LEGREC_ERR_STATE, and each change is
/// logged with who asked.
fn toggle(
    rec: &Recording,
    on: bool,
    by: *const c_char,
    set: fn(&Recording, bool, &str) -> bool,
    words: [&str; 2],
) -> legrec_result {
    if rec.is_stopped() {
        return LEGREC_ERR_STOPPED;
    }
    let by = who(by);
    if !set(rec, on, &by) {
        return LEGREC_ERR_STATE;
    }
    log::info!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str(); "recording {} {} by {}", rec.id, words[usize::from(!on)], by);
    LEGREC_OK
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_mask(
    recording: *mut legrec_recording,
    on: bool,
    by: *const c_char,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        toggle(
            &h.rec,
            on,
            by,
            Recording::set_masked,
            ["masked", "unmasked"],
        )
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_pause(
    recording: *mut legrec_recording,
    on: bool,
    by: *const c_char,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        toggle(&h.rec, on, by, Recording::set_paused, ["paused", "resumed"])
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_peer_join(
    recording: *mut legrec_recording,
    peer: *const legrec_peer,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(peer);
        // SAFETY: checked non-NULL above; the caller's struct, valid for the call (header).
        let p = unsafe { &*peer };
        let channel = p.channel;
        check_null!(channel);
        let text = |s: *const c_char| {
            // SAFETY: the header requires NUL-terminated strings (or NULL) that live for the call.
            unsafe { opt_str(s) }.map(|o| o.unwrap_or("").to_string())
        };
        let (Ok(channel), Ok(number), Ok(name), Ok(member), Ok(interface)) = (
            text(p.channel),
            text(p.number),
            text(p.name),
            text(p.member),
            text(p.interface),
        ) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        h.rec.peer_join(PeerInfo {
            channel,
            number,
            name,
            member,
            interface,
        });
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_peer_leave(
    recording: *mut legrec_recording,
    channel: *const c_char,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(channel);
        // SAFETY: the header requires a NUL-terminated string that lives for the call.
        let Ok(channel) = (unsafe { req_str(channel) }) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        if h.rec.peer_leave(channel) {
            LEGREC_OK
        } else {
            LEGREC_ERR_STATE
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_peer_member(
    recording: *mut legrec_recording,
    member: *const c_char,
    interface: *const c_char,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(member);
        // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
        let (Ok(member), Ok(interface)) =
            (unsafe { req_str(member) }, unsafe { opt_str(interface) })
        else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        h.rec.peer_member(member, interface.unwrap_or(""));
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_agent(
    recording: *const legrec_recording,
    buf: *mut c_char,
    len: usize,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(buf);
        let agent = h.rec.agent().unwrap_or_default();
        // SAFETY: the buffer holds `len` writable bytes (header); copy_out handles 0.
        match unsafe { copy_out(&agent, buf, len) } {
            (_, true) => LEGREC_OK,
            (_, false) => LEGREC_ERR_BUFFER_TOO_SMALL,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_key(
    recording: *mut legrec_recording,
    side_: legrec_side,
    digit: c_char,
    ended: bool,
    out: *mut legrec_key_result,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(out);
        let (Some(side), d @ (b'0'..=b'9' | b'*' | b'#')) = (side(side_), digit as u8) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        let r = match h.rec.key(side, d as char, ended) {
            Pressed::Pass => LEGREC_KEY_PASS,
            Pressed::Held => LEGREC_KEY_HELD,
            Pressed::Key(_) => LEGREC_KEY_ACTED,
        };
        // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
        unsafe { *out = r };
        LEGREC_OK
    })
}

fn side(side: legrec_side) -> Option<CallSide> {
    match side {
        LEGREC_SIDE_CALLER => Some(CallSide::Caller),
        LEGREC_SIDE_AGENT => Some(CallSide::Agent),
        _ => None,
    }
}

fn notice_result(r: Result<(), NoticeError>) -> legrec_result {
    match r {
        Ok(()) => LEGREC_OK,
        Err(NoticeError::OutOfOrder) => LEGREC_ERR_STATE,
    }
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_notice_begin(
    recording: *mut legrec_recording,
    side_: legrec_side,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        let Some(side) = side(side_) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        notice_result(h.rec.notice_begin(side))
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_notice_end(
    recording: *mut legrec_recording,
    side_: legrec_side,
    played: bool,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        let Some(side) = side(side_) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        notice_result(h.rec.notice_end(side, played))
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_plan(
    recording: *const legrec_recording,
    out: *mut legrec_plan,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(out);
        let (p, plan) = (&h.rec.policy, &h.rec.plan);
        let notice_to = match (plan.notice.is_empty(), plan.notice_to) {
            (true, _) | (_, NoticeTo::None) => LEGREC_PARTY_NONE,
            (false, NoticeTo::Caller) => LEGREC_PARTY_CALLER,
            (false, NoticeTo::Both) => LEGREC_PARTY_BOTH,
        };
        // SAFETY: `out` was checked non-NULL above and points to a writable
        // value the caller owns (header).
        unsafe {
            *out = legrec_plan {
                notice: h.notice.as_ptr(),
                notice_to,
                sample_rate: p.sample_rate,
                beep_interval: p.beep_interval,
                consent: match p.consent {
                    ConsentMode::Notify => LEGREC_CONSENT_NOTIFY,
                    ConsentMode::OptOut => LEGREC_CONSENT_OPT_OUT,
                    ConsentMode::OptIn => LEGREC_CONSENT_OPT_IN,
                },
                consent_digit: p.consent_digit.bytes().next().unwrap_or(b'1') as c_char,
                consent_timeout_ms: p.consent_timeout * 1000,
                consent_prompt: h.consent_prompt.as_ptr(),
                notice_required_by_law: plan.notice_required_by_law,
                notice_to_peer: plan.notice_to_peer,
                keys: !plan.keys.is_empty(),
            }
        };
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_consent_begin(
    recording: *mut legrec_recording,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        let rec = &h.rec;
        if rec.is_stopped() {
            return LEGREC_ERR_STOPPED;
        }
        rec.consent_begin();
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_consent(
    recording: *mut legrec_recording,
    digit: c_char,
    out: *mut legrec_consent_decision,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(out);
        let key = match digit as u8 {
            0 => None,
            d @ (b'0'..=b'9' | b'*' | b'#') => Some(d as char),
            _ => return LEGREC_ERR_INVALID_PARAMETER,
        };
        let decision = h.rec.consent(key);
        // SAFETY: `out` was checked non-NULL above and points to a writable
        // value the caller owns (header).
        unsafe {
            *out = match decision {
                Decision::Pending => LEGREC_CONSENT_WAIT,
                Decision::Kept => LEGREC_CONSENT_KEEP,
                Decision::Declined if h.rec.plan.after(decision) == Then::Stop => {
                    LEGREC_CONSENT_DECLINED_STOPPED
                }
                Decision::Declined => LEGREC_CONSENT_DECLINED,
            }
        };
        LEGREC_OK
    })
}

/// The C face of the plan's consent outcome (`CallPlan::after`, already
/// folded into the decision): a refusal is the dialplan's DECLINED and an
/// event; a stop takes the hook off.
#[no_mangle]
pub unsafe extern "C" fn legrec_consent_steps_for(
    decision: legrec_consent_decision,
    out: *mut legrec_consent_steps,
) -> legrec_result {
    guarded!({
        check_null!(out);
        let (declined, detach) = match decision {
            LEGREC_CONSENT_WAIT | LEGREC_CONSENT_KEEP => (false, false),
            LEGREC_CONSENT_DECLINED => (true, false),
            LEGREC_CONSENT_DECLINED_STOPPED => (true, true),
            _ => return LEGREC_ERR_INVALID_PARAMETER,
        };
        // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
        unsafe {
            *out = legrec_consent_steps {
                status: if declined {
                    LEGREC_START_DECLINED
                } else {
                    LEGREC_START_RECORDING
                },
                announce: declined,
                detach,
            }
        };
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_beep(
    recording: *mut legrec_recording,
    leg: legrec_leg,
    samples: *mut i16,
    count: usize,
    sample_rate: u32,
    mixed: *mut bool,
) -> legrec_result {
    guarded!({
        let h = try_ref!(quiet: recording as RecordingHandle);
        check_null!(quiet: samples, mixed);
        if !frame_ok(leg, count, sample_rate) {
            return LEGREC_ERR_INVALID_PARAMETER;
        }
        // SAFETY: the caller passes `count` writable samples.
        let frame = unsafe { std::slice::from_raw_parts_mut(samples, count) };
        // SAFETY: `mixed` was checked non-NULL above and points to a writable value the caller owns (header).
        unsafe { *mixed = h.rec.beep(leg as usize, frame, sample_rate) };
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_stop(recording: *mut legrec_recording) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        let rec = &h.rec;
        if rec.stop() {
            log::debug!(channel = rec.call.channel.as_str(), uniqueid = rec.call.uniqueid.as_str(); "recording {} stop requested", rec.id);
            LEGREC_OK
        } else {
            LEGREC_ERR_STOPPED
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_id(
    recording: *const legrec_recording,
    buf: *mut c_char,
    len: usize,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(buf);
        if len == 0 {
            return LEGREC_ERR_BUFFER_TOO_SMALL;
        }
        // SAFETY: the buffer holds `len` writable bytes (header); copy_out handles NULL and 0.
        match unsafe { copy_out(&h.rec.id, buf, len) } {
            (_, true) => LEGREC_OK,
            (_, false) => LEGREC_ERR_BUFFER_TOO_SMALL,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_files(
    recording: *const legrec_recording,
    buf: *mut c_char,
    len: usize,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(buf);
        let rec = &h.rec;
        let mut files: Vec<_> = rec
            .paths
            .audio(rec.policy.legs)
            .into_iter()
            .map(|f| f.path)
            .collect();
        files.push(rec.paths.sidecar());
        let text: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        // SAFETY: the buffer holds `len` writable bytes (header); copy_out handles NULL and 0.
        match unsafe { copy_out(&text.join(","), buf, len) } {
            (_, true) => LEGREC_OK,
            (_, false) => LEGREC_ERR_BUFFER_TOO_SMALL,
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_stats_get(
    recording: *const legrec_recording,
    out: *mut legrec_recording_stats,
) -> legrec_result {
    guarded!({
        let h = try_ref!(recording as RecordingHandle);
        check_null!(out);
        // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
        unsafe { *out = stats(&h.rec) };
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_free(recording: *mut legrec_recording) {
    guarded!({
        if recording.is_null() {
            return;
        }
        // SAFETY: a handle this module's `_new` leaked, freed once: the header forbids any use after `_free`.
        let h = unsafe { Box::from_raw(recording as *mut RecordingHandle) };
        h.rec.stop();
    })
}
