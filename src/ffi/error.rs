//! Error codes and their messages.

use std::ffi::c_char;

use super::bindings::*;
use super::guard::copy_out;

pub fn message(result: legrec_result) -> &'static str {
    match result {
        LEGREC_OK => "success",
        LEGREC_ERR_NULL_PARAMETER => "a required pointer argument was NULL",
        LEGREC_ERR_PANIC => "internal error in the legrec core (caught; see the log)",
        LEGREC_ERR_CONFIG => "the configuration was rejected",
        LEGREC_ERR_UNKNOWN_POLICY => "no policy of that name in the configuration",
        LEGREC_ERR_STOPPED => "the recording has been stopped",
        LEGREC_ERR_BUSY => {
            "frame dropped: the leg's ring is full or another thread is pushing into it"
        }
        LEGREC_ERR_IO => "creating the recording's files failed",
        LEGREC_ERR_SHUTTING_DOWN => "legrec is shutting down",
        LEGREC_ERR_BUFFER_TOO_SMALL => "the buffer was too small",
        LEGREC_ERR_STATE => "not possible in the recording's current state",
        LEGREC_ERR_EXEMPT => "the policy's never_record names this call: not recorded",
        _ => "an argument was invalid",
    }
}

#[no_mangle]
pub unsafe extern "C" fn legrec_result_message(
    result: legrec_result,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> legrec_result {
    guarded!({
        check_null!(buf);
        // SAFETY: the buffer holds `len` writable bytes (header); copy_out handles NULL and 0.
        let (n, fitted) = unsafe { copy_out(message(result), buf, len) };
        if !out_n.is_null() {
            // SAFETY: `out_n` was checked non-NULL above and points to a writable value the caller owns (header).
            unsafe { *out_n = n };
        }
        if fitted {
            LEGREC_OK
        } else {
            LEGREC_ERR_BUFFER_TOO_SMALL
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr() as *const c_char
}
