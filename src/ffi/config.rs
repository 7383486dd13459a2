//! `legrec_config`: the PBX's config lines, collected before they are
//! checked.

use std::ffi::c_char;

use super::bindings::*;
use super::guard::req_str;
use crate::policy::config::RawConfig;

#[no_mangle]
pub unsafe extern "C" fn legrec_config_new() -> *mut legrec_config {
    guarded!({ Box::into_raw(Box::<RawConfig>::default()) as *mut legrec_config })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_config_set(
    config: *mut legrec_config,
    section: *const c_char,
    key: *const c_char,
    value: *const c_char,
    line: u32,
) -> legrec_result {
    guarded!({
        let raw = try_mut!(config as RawConfig);
        check_null!(section);
        if key.is_null() && value.is_null() {
            // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
            return match unsafe { req_str(section) } {
                Ok(s) => {
                    raw.declare(s);
                    LEGREC_OK
                }
                Err(_) => LEGREC_ERR_INVALID_PARAMETER,
            };
        }
        check_null!(key, value);
        let (section, key, value) =
            // SAFETY: the header requires NUL-terminated strings (or NULL where optional) that live for the call.
            match unsafe { (req_str(section), req_str(key), req_str(value)) } {
                (Ok(s), Ok(k), Ok(v)) => (s, k, v),
                _ => return LEGREC_ERR_INVALID_PARAMETER,
            };
        raw.set(section, key, value, line);
        LEGREC_OK
    })
}

#[no_mangle]
pub unsafe extern "C" fn legrec_config_free(config: *mut legrec_config) {
    guarded!({
        if !config.is_null() {
            // SAFETY: a handle this module's `_new` leaked, freed once: the header forbids any use after `_free`.
            drop(unsafe { Box::from_raw(config as *mut RawConfig) });
        }
    })
}
