//! The legrec-fleet Debian package (scripts/make-deb-fleet), built from
//! this build's binary: what it holds, that its binary is stripped with
//! its symbols kept apart and runs, and that systemd accepts its unit.

mod common;

use std::process::Command;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_package_holds_the_tools_and_a_unit_systemd_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let deb = run(
        Command::new(common::repo().join("scripts/make-deb-fleet")).args([
            env!("CARGO_BIN_EXE_legrec-fleet"),
            tmp.path().to_str().unwrap(),
        ]),
    );
    let deb = deb.trim();
    let files = run(Command::new("dpkg-deb").args(["-c", deb]));
    for f in [
        "./usr/bin/legrec-fleet",
        "./lib/systemd/system/legrec-ship.service",
        "./lib/systemd/system/legrec-index.timer",
        "./lib/systemd/system/legrec-index.service",
        "./usr/share/doc/legrec-fleet/copyright",
    ] {
        assert!(files.contains(f), "{f} missing from:\n{files}");
    }
    let depends = run(Command::new("dpkg-deb").args(["-f", deb, "Depends"]));
    assert!(depends.starts_with("legrec, libc6"), "{depends}");
    let root = tmp.path().join("root");
    run(Command::new("dpkg-deb").args(["-x", deb, root.to_str().unwrap()]));
    let bin = root.join("usr/bin/legrec-fleet");
    let sections = run(Command::new("readelf").args(["-SW", bin.to_str().unwrap()]));
    assert!(!sections.contains(".debug_info"), "stripped");
    assert!(sections.contains(".gnu_debuglink"));
    let out = Command::new(&bin).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("legrec ship"));
    let unit =
        std::fs::read_to_string(root.join("lib/systemd/system/legrec-ship.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/bin/legrec-fleet ship --config /etc/asterisk/legrec.conf")
    );
    if std::path::Path::new("/usr/bin/systemd-analyze").exists() {
        // The unit as installed, its ExecStart pointing at the extracted
        // binary (verify checks that it exists and is executable).
        let unit_path = tmp.path().join("legrec-ship.service");
        std::fs::write(
            &unit_path,
            unit.replace("/usr/bin/legrec-fleet", bin.to_str().unwrap()),
        )
        .unwrap();
        let out = Command::new("systemd-analyze")
            .args(["verify", unit_path.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("legrec-ship.service:"),
            "systemd-analyze verify: {err}"
        );
    } else {
        eprintln!("systemd-analyze not installed: the unit's syntax was not checked by systemd");
    }
}
