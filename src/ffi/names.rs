//! The words both shims show an admin (include/legrec.h, "names"), owned
//! here so that Asterisk and FreeSWITCH spell them alike: a recording's
//! status as events say it, what the dialplan learns of a start, and the
//! control actions.  Every string is static: never freed.

use std::ffi::{c_char, CStr};

use super::bindings::*;
use super::guard::req_str;
use super::recording::{legrec_recording_mask, legrec_recording_pause, legrec_recording_stop};

const ACTIONS: [(legrec_action, &CStr); 5] = [
    (LEGREC_ACTION_STOP, c"stop"),
    (LEGREC_ACTION_MASK, c"mask"),
    (LEGREC_ACTION_UNMASK, c"unmask"),
    (LEGREC_ACTION_PAUSE, c"pause"),
    (LEGREC_ACTION_RESUME, c"resume"),
];

fn or_null(s: Option<&'static CStr>) -> *const c_char {
    s.map_or(std::ptr::null(), CStr::as_ptr)
}

#[no_mangle]
pub extern "C" fn legrec_status_name(status: legrec_status) -> *const c_char {
    guarded!({
        or_null(match status {
            LEGREC_STATUS_RECORDING => Some(c"RECORDING"),
            LEGREC_STATUS_COMPLETE => Some(c"COMPLETE"),
            LEGREC_STATUS_FAILED => Some(c"FAILED"),
            LEGREC_STATUS_DECLINED => Some(c"DECLINED"),
            LEGREC_STATUS_DISCARDED => Some(c"DISCARDED"),
            _ => None,
        })
    })
}

#[no_mangle]
pub extern "C" fn legrec_start_name(start: legrec_start) -> *const c_char {
    guarded!({
        or_null(match start {
            LEGREC_START_RECORDING => Some(c"RECORDING"),
            LEGREC_START_DECLINED => Some(c"DECLINED"),
            LEGREC_START_EXEMPT => Some(c"EXEMPT"),
            LEGREC_START_FAILED => Some(c"FAILED"),
            _ => None,
        })
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_action_parse(
    name: *const c_char,
    out: *mut legrec_action,
) -> legrec_result {
    guarded!({
        check_null!(name, out);
        // SAFETY: the header requires a NUL-terminated string that lives for the call.
        let Ok(name) = (unsafe { req_str(name) }) else {
            return LEGREC_ERR_INVALID_PARAMETER;
        };
        match ACTIONS
            .iter()
            .find(|(_, n)| n.to_bytes() == name.as_bytes())
        {
            Some((a, _)) => {
                // SAFETY: `out` was checked non-NULL above and points to a writable value the caller owns (header).
                unsafe { *out = *a };
                LEGREC_OK
            }
            None => LEGREC_ERR_INVALID_PARAMETER,
        }
    })
}

#[no_mangle]
pub extern "C" fn legrec_action_name(action: legrec_action) -> *const c_char {
    guarded!({ or_null(ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, n)| *n),) })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_recording_act(
    recording: *mut legrec_recording,
    action: legrec_action,
    by: *const c_char,
) -> legrec_result {
    guarded!({
        // SAFETY: the same contract as the functions called: a handle from
        // legrec_recording_start() (or NULL, refused there), `by` NULL or a
        // string that lives for the call.
        unsafe {
            match action {
                LEGREC_ACTION_STOP => legrec_recording_stop(recording),
                LEGREC_ACTION_MASK => legrec_recording_mask(recording, true, by),
                LEGREC_ACTION_UNMASK => legrec_recording_mask(recording, false, by),
                LEGREC_ACTION_PAUSE => legrec_recording_pause(recording, true, by),
                LEGREC_ACTION_RESUME => legrec_recording_pause(recording, false, by),
                _ => LEGREC_ERR_INVALID_PARAMETER,
            }
        }
    })
}
