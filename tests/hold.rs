//! Legal holds through the `legrec` tool: placed and released with who and
//! why in the chain, listed, and honoured by `legrec prune` (the spool's
//! retention path; the bucket's and keep_local_days' are in
//! fleet/tests/ship.rs), which says which hold keeps what.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::*;
use legrec::policy::config::{RawConfig, Settings};
use legrec::recorder::intake::recording::CallInfo;

fn legrec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_legrec"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = legrec(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "legrec {args:?}: {text}");
    text
}

/// Calls from these numbers into queue `sales`, kept for a day.
fn record(spool: &Path, callers: &[&str]) -> Vec<String> {
    let mut raw = RawConfig::default();
    raw.set("general", "spool_dir", spool.to_str().unwrap(), 1);
    raw.set("general", "workers", "1", 2);
    raw.set("p", "legs", "split", 3);
    raw.set("p", "retention_days", "1", 4);
    let core = legrec::recorder::Core::new(Settings::from_raw(&raw).unwrap(), None).unwrap();
    callers
        .iter()
        .map(|c| {
            let rec = core
                .start(
                    "p",
                    CallInfo {
                        pbx: "test".into(),
                        channel: format!("PJSIP/{c}"),
                        caller_number: c.to_string(),
                        queue: "sales".into(),
                        ..Default::default()
                    },
                )
                .unwrap();
            for f in 0..25 {
                let x: Vec<i16> = (0..160).map(|i| ((i * 31 + f) % 3000) as i16).collect();
                rec.push(0, &x, 8000).unwrap();
                rec.push(1, &x, 8000).unwrap();
            }
            rec.stop();
            rec.wait_outcome(Duration::from_secs(10)).expect("finished");
            rec.id.clone()
        })
        .collect()
}

#[test]
fn held_recordings_survive_prune_until_released() {
    let tmp = tempfile::tempdir().unwrap();
    let spool = tmp.path().join("spool");
    let s = spool.to_str().unwrap();
    let ids = record(&spool, &["5551001", "5551002", "5551003"]);
    let later = humantime::format_rfc3339_seconds(
        std::time::SystemTime::now() + Duration::from_secs(3 * 86_400),
    )
    .to_string();

    // Refused without a reason or without a target.
    assert!(!legrec(&["hold", "add", &ids[0], "--spool", s])
        .status
        .success());
    assert!(!legrec(&["hold", "add", "--reason", "x", "--spool", s])
        .status
        .success());
    let said = ok(&["hold", "add", &ids[0], "--reason", "case 42", "--spool", s]);
    assert!(said.contains("1 recording(s) in the spool now"), "{said}");
    let said = ok(&[
        "hold",
        "add",
        "--caller",
        "5551002",
        "--reason",
        "complaint 7",
        "--spool",
        s,
    ]);
    let by_caller = said.split_whitespace().nth(1).unwrap().to_string();
    let list = ok(&["hold", "list", "--spool", s]);
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(
        list.contains("caller 5551002") && list.contains("complaint 7"),
        "{list}"
    );

    let out = ok(&["prune", s, "--now", &later]);
    assert!(out.contains("1 recording(s) pruned"), "{out}");
    assert!(out.contains(&format!("pruned {}", ids[2])), "{out}");
    for id in &ids[..2] {
        assert!(
            out.contains(&format!("kept {id}: under legal hold hold-")),
            "{out}"
        );
        assert!(legrec::spool::layout::find_recording(&spool, id).is_some());
    }
    assert!(
        out.contains("case 42") && out.contains("complaint 7"),
        "{out}"
    );
    let (good, text) = legrec_verify(&spool);
    assert!(good, "{text}");

    // Who and why are in the chain.
    let chain = legrec::audit::verify_chain(&legrec::spool::layout::audit_log(&spool)).unwrap();
    let placed: Vec<_> = chain.iter().filter(|e| e.event == "hold").collect();
    assert_eq!(placed.len(), 2);
    let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap();
    assert!(
        placed[0]
            .note
            .contains(&format!("\"by\":\"{}", user.trim())),
        "{}",
        placed[0].note
    );

    // Released: the next prune takes it.
    assert!(!legrec(&["hold", "release", &by_caller, "--spool", s])
        .status
        .success());
    ok(&[
        "hold",
        "release",
        &by_caller,
        "--reason",
        "withdrawn",
        "--spool",
        s,
    ]);
    let out = ok(&["prune", s, "--now", &later]);
    assert!(out.contains(&format!("pruned {}", ids[1])), "{out}");
    assert!(out.contains(&format!("kept {}", ids[0])), "{out}");
    assert!(ok(&["hold", "list", "--spool", s]).lines().count() == 1);
    let chain = legrec::audit::verify_chain(&legrec::spool::layout::audit_log(&spool)).unwrap();
    let released = chain.iter().find(|e| e.event == "hold-released").unwrap();
    assert_eq!(released.id, by_caller);
    assert!(released.note.contains("withdrawn"));
}
