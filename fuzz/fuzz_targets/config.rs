//! The configuration parser through the C ABI: any bytes as section, key
//! and value lines.  Must never panic; every refusal names its line, and a
//! configuration that is accepted has only safe policy names and values in
//! their documented ranges.
//!
//! Input: lines of `section \t key \t value` (a line without tabs declares
//! a section).  Parsing stops at the first NUL inside a field, as a C string
//! would.
#![no_main]

use std::ffi::CString;

use legrec::ffi::bindings::*;
use legrec::policy::config::{valid_policy_name, RawConfig, Settings};
use libfuzzer_sys::fuzz_target;

fn cstr(b: &[u8]) -> CString {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    CString::new(&b[..end]).expect("cut at the first NUL")
}

fuzz_target!(|data: &[u8]| {
    let mut raw = RawConfig::default();
    let config = unsafe { legrec_config_new() };
    for (i, line) in data.split(|&b| b == b'\n').enumerate().take(64) {
        let mut f = line.splitn(3, |&b| b == b'\t');
        let section = cstr(f.next().unwrap_or_default());
        let (key, value) = (f.next().map(cstr), f.next().map(cstr));
        let n = i as u32 + 1;
        let r = unsafe {
            legrec_config_set(
                config,
                section.as_ptr(),
                key.as_ref().map_or(std::ptr::null(), |k| k.as_ptr()),
                value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr()),
                n,
            )
        };
        assert_ne!(r, LEGREC_ERR_PANIC);
        if r == LEGREC_OK {
            let s = section.to_string_lossy();
            match (&key, &value) {
                (Some(k), Some(v)) => raw.set(&s, &k.to_string_lossy(), &v.to_string_lossy(), n),
                _ => {
                    raw.declare(&s);
                }
            }
        }
    }
    unsafe { legrec_config_free(config) };
    // The same lines through the Rust parser the ABI uses.
    match Settings::from_raw(&raw) {
        Ok(s) => {
            for name in s.policies.keys() {
                assert!(valid_policy_name(name), "accepted policy name {name:?}");
            }
            let g = &s.general;
            assert!(g.compression_level <= 8);
            assert!((200..=30_000).contains(&g.ring_ms));
            assert!(g.workers >= 1);
        }
        Err(e) => {
            // A refusal about a key names the line it came from.
            let text = e.to_string();
            if e.key.is_some() {
                assert!(e.line > 0 && text.starts_with(&format!("line {}: ", e.line)), "{text}");
            }
        }
    }
});
