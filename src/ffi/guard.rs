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

/// Return LEGREC_ERR_NULL_PARAMETER if any pointer is null, naming the
/// first such argument and where in a WARNING (as librsvg's
/// `rsvg_return_val_if_fail!` does): a shim that passes NULL is a bug its
/// admin should see, not a silent error code.
macro_rules! check_null {
    // The media path (push, beep): the header promises no log callback from
    // there, so a NULL is refused without a word.
    (quiet: $($p:ident),+) => {
        if false $(|| $p.is_null())+ {
            return $crate::ffi::bindings::LEGREC_ERR_NULL_PARAMETER;
        }
    };
    ($($p:ident),+) => {
        $(
            if $p.is_null() {
                $crate::ffi::guard::null_argument(stringify!($p), file!(), line!());
                return $crate::ffi::bindings::LEGREC_ERR_NULL_PARAMETER;
            }
        )+
    };
}

/// Check a handle the core handed out and borrow what it points to, in one
/// step (rustls-ffi's `try_ref_from_ptr!`): NULL returns
/// LEGREC_ERR_NULL_PARAMETER, named in a WARNING unless `quiet:` (the media
/// path).  `try_mut!` borrows it exclusively.
macro_rules! try_ref {
    (quiet: $p:ident as $t:ty) => {{
        check_null!(quiet: $p);
        try_ref!(@borrow $p as $t)
    }};
    ($p:ident as $t:ty) => {{
        check_null!($p);
        try_ref!(@borrow $p as $t)
    }};
    (@borrow $p:ident as $t:ty) => {
        // SAFETY: a non-NULL handle of this kind is one the core handed out
        // (a leaked Box<$t>, see its `_new`) and not yet freed; the header
        // makes passing anything else the caller's undefined behaviour, as
        // with any C library.
        unsafe { &*($p as *const $t) }
    };
}

macro_rules! try_mut {
    ($p:ident as $t:ty) => {{
        check_null!($p);
        // SAFETY: as in `try_ref!`; and the header gives the caller's thread
        // sole use of this handle for the call (legrec_config_* are not
        // called concurrently on one config).
        unsafe { &mut *($p as *mut $t) }
    }};
}

/// The WARNING for a NULL argument; the log bridge limits it to a few lines
/// per interval, so a shim that does it on every frame cannot flood the
/// console.
pub fn null_argument(name: &str, file: &str, line: u32) {
    log::warn!(
        "NULL passed as `{name}` ({file}:{line}): the call was refused (LEGREC_ERR_NULL_PARAMETER)"
    );
}

/// A borrowed UTF-8 string from C; None for NULL, Err for bad UTF-8.
pub unsafe fn opt_str<'a>(p: *const c_char) -> Result<Option<&'a str>, legrec_result> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL here; NUL-terminated and alive for the call, as the header requires.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map(Some)
        .map_err(|_| LEGREC_ERR_INVALID_PARAMETER)
}

/// A required UTF-8 string from C.
pub unsafe fn req_str<'a>(p: *const c_char) -> Result<&'a str, legrec_result> {
    // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
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
    // SAFETY: `buf` is non-NULL and holds `len` bytes (the caller's promise);
    // n + 1 <= len, and `text` cannot overlap a C buffer we were handed.
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
