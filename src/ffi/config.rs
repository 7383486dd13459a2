//! `legrec_config`: the PBX's config lines, collected before they are
//! checked.

use std::ffi::c_char;

use super::bindings::*;
use super::guard::req_str;
use crate::policy::config::RawConfig;

pub(crate) fn raw_config<'a>(p: *const legrec_config) -> &'a RawConfig {
    // SAFETY: every legrec_config handed out is a Box<RawConfig>.
    unsafe { &*(p as *const RawConfig) }
}

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
        check_null!(config, section);
        let raw = unsafe { &mut *(config as *mut RawConfig) };
        if key.is_null() && value.is_null() {
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
            drop(unsafe { Box::from_raw(config as *mut RawConfig) });
        }
    })
}
