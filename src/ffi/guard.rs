//! The panic guard and the pointer checks every exported function begins
//! with (after rustls-ffi's `ffi_panic_boundary!` and `try_ref_from_ptr!`).

use std::ffi::{c_char, CStr};

use super::bindings::*;

/// What a guarded function returns when its body panicked.
pub trait PanicDefault {
    fn panicked() -> Self;
}
impl PanicDefault for legrec_result {
    fn panicked() -> Self {
        LEGREC_ERR_PANIC
    }
}
impl PanicDefault for () {
    fn panicked() -> Self {}
}
impl<T> PanicDefault for *mut T {
    fn panicked() -> Self {
        std::ptr::null_mut()
    }
}
impl<T> PanicDefault for *const T {
    fn panicked() -> Self {
        std::ptr::null()
    }
}

/// Run `body`; a panic becomes the function's panic value and an error log
/// line, never an unwind into the PBX.
macro_rules! guarded {
    ($body:block) => {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => $crate::ffi::guard::PanicDefault::panicked(),
        }
    };
}

/// Return LEGREC_ERR_NULL_PARAMETER if any pointer is null.
macro_rules! check_null {
    ($($p:expr),+) => {
        if false $(|| $p.is_null())+ {
            return $crate::ffi::bindings::LEGREC_ERR_NULL_PARAMETER;
        }
    };
}

/// A borrowed UTF-8 string from C; None for NULL, Err for bad UTF-8.
pub unsafe fn opt_str<'a>(p: *const c_char) -> Result<Option<&'a str>, legrec_result> {
    if p.is_null() {
        return Ok(None);
    }
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map(Some)
        .map_err(|_| LEGREC_ERR_INVALID_PARAMETER)
}

/// A required UTF-8 string from C.
pub unsafe fn req_str<'a>(p: *const c_char) -> Result<&'a str, legrec_result> {
    match unsafe { opt_str(p) }? {
        Some(s) => Ok(s),
        None => Err(LEGREC_ERR_NULL_PARAMETER),
    }
}

/// Copy `text` into a caller's buffer of `len` bytes, NUL-terminated,
/// cutting at a character boundary if needed.  Returns the bytes written
/// (without the NUL) and whether it all fitted.
pub unsafe fn copy_out(text: &str, buf: *mut c_char, len: usize) -> (usize, bool) {
    if buf.is_null() || len == 0 {
        return (0, text.is_empty());
    }
    let mut n = text.len().min(len - 1);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, n);
        *buf.add(n) = 0;
    }
    (n, n == text.len())
}

/// A string to hand to a C callback: NULs removed.
pub fn c_string(s: &str) -> std::ffi::CString {
    std::ffi::CString::new(s.replace('\0', "")).expect("NULs removed")
}
