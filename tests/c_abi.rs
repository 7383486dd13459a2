//! The C compiler and Rust agree on the layout of every shared struct (as
//! librsvg checks its ABI): sizes, alignments and constants.

mod common;

use std::mem::{align_of, size_of};
use std::process::Command;

use legrec::ffi::bindings::*;

#[test]
fn c_and_rust_agree_on_struct_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("abi");
    common::compile_c("abi.c", &bin);
    let out = Command::new(&bin).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rust: &[(&str, usize, usize)] = &[
        (
            "legrec_log_record",
            size_of::<legrec_log_record>(),
            align_of::<legrec_log_record>(),
        ),
        (
            "legrec_finished",
            size_of::<legrec_finished>(),
            align_of::<legrec_finished>(),
        ),
        (
            "legrec_host",
            size_of::<legrec_host>(),
            align_of::<legrec_host>(),
        ),
        (
            "legrec_policy_info",
            size_of::<legrec_policy_info>(),
            align_of::<legrec_policy_info>(),
        ),
        (
            "legrec_call_info",
            size_of::<legrec_call_info>(),
            align_of::<legrec_call_info>(),
        ),
        (
            "legrec_plan",
            size_of::<legrec_plan>(),
            align_of::<legrec_plan>(),
        ),
        (
            "legrec_recording_stats",
            size_of::<legrec_recording_stats>(),
            align_of::<legrec_recording_stats>(),
        ),
        (
            "legrec_live_info",
            size_of::<legrec_live_info>(),
            align_of::<legrec_live_info>(),
        ),
        (
            "legrec_result",
            size_of::<legrec_result>(),
            align_of::<legrec_result>(),
        ),
        (
            "legrec_leg",
            size_of::<legrec_leg>(),
            align_of::<legrec_leg>(),
        ),
        (
            "LEGREC_MAX_FRAME_SAMPLES",
            LEGREC_MAX_FRAME_SAMPLES as usize,
            0,
        ),
        ("LEGREC_ERR_PANIC", LEGREC_ERR_PANIC as usize, 0),
    ];
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), rust.len(), "{text}");
    for (line, (name, size, align)) in lines.iter().zip(rust) {
        assert_eq!(*line, format!("{name} {size} {align}"), "layout of {name}");
    }
}
