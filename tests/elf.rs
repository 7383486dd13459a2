//! Every shared object legrec builds is hardened the way Debian hardens its
//! own packages, read from its ELF headers by binutils' `readelf`: no
//! executable stack (glibc 2.41 and later refuse to load such a module at
//! all: "cannot enable executable stack"), full RELRO (BIND_NOW), no text
//! relocations; and `scripts/install-stripped` installs it without debug
//! sections but with a link to the symbols it keeps apart.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn readelf(args: &[&str], so: &Path) -> String {
    let out = Command::new("readelf")
        .args(args)
        .arg(so)
        .output()
        .expect("readelf (binutils) installed");
    assert!(out.status.success(), "readelf {args:?} {}", so.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What is wrong with `so`, one line per fault.
fn hardening_faults(so: &Path) -> Vec<String> {
    let mut faults = Vec::new();
    let program = readelf(&["-lW"], so);
    match program
        .lines()
        .find(|l| l.trim_start().starts_with("GNU_STACK"))
    {
        None => faults.push("no GNU_STACK header: the loader assumes an executable stack".into()),
        Some(line) => {
            let flags = line.split_whitespace().nth(6).unwrap_or("");
            if flags.contains('E') {
                faults.push(format!("executable stack: {}", line.trim()));
            }
        }
    }
    if !program.contains("GNU_RELRO") {
        faults.push("no GNU_RELRO segment (link with -z relro)".into());
    }
    let dynamic = readelf(&["-dW"], so);
    let bind_now = dynamic.lines().any(|l| {
        (l.contains("(FLAGS)") && l.contains("BIND_NOW"))
            || (l.contains("(FLAGS_1)") && l.contains("NOW"))
            || l.contains("(BIND_NOW)")
    });
    if !bind_now {
        faults.push("no BIND_NOW: partial RELRO only (link with -z now)".into());
    }
    if dynamic.contains("(TEXTREL)") || dynamic.contains("TEXTREL") {
        faults.push("text relocations (TEXTREL): code not position independent".into());
    }
    faults
}

fn modules() -> Vec<PathBuf> {
    let mut built = vec![common::asterisk::module()];
    if cfg!(has_freeswitch) {
        built.push(common::freeswitch::module());
    } else {
        eprintln!("FreeSWITCH not found by scripts/find-freeswitch: mod_legrec.so not checked");
    }
    built
}

#[test]
fn every_built_module_is_hardened() {
    for so in modules() {
        let faults = hardening_faults(&so);
        assert!(
            faults.is_empty(),
            "{}:\n{}",
            so.display(),
            faults.join("\n")
        );
    }
}

#[test]
fn the_check_catches_an_executable_stack_and_lazy_binding() {
    // The same test on a library linked the way the module used to be: it
    // must fail, or the check above proves nothing.
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("t.c");
    std::fs::write(&c, "int f(void) { return 1; }\n").unwrap();
    let so = dir.path().join("t.so");
    let st = Command::new("cc")
        .args([
            "-shared",
            "-fPIC",
            "-Wl,-z,execstack",
            "-Wl,-z,lazy",
            "-Wl,-z,norelro",
            "-o",
        ])
        .arg(&so)
        .arg(&c)
        .status()
        .unwrap();
    assert!(st.success());
    let faults = hardening_faults(&so).join("\n");
    assert!(faults.contains("executable stack"), "{faults}");
    assert!(faults.contains("BIND_NOW"), "{faults}");
    assert!(faults.contains("GNU_RELRO"), "{faults}");
}

#[test]
fn installed_modules_are_stripped_with_their_symbols_kept_apart() {
    for so in modules() {
        let dest = tempfile::tempdir().unwrap();
        let installed = dest.path().join("mod.so");
        let st = Command::new(common::repo().join("scripts/install-stripped"))
            .arg(&so)
            .arg(&installed)
            .arg(dest.path())
            .status()
            .unwrap();
        assert!(st.success(), "install-stripped {}", so.display());
        let sections = readelf(&["-SW"], &installed);
        assert!(
            !sections.contains(".debug_info"),
            "{} keeps debug info",
            so.display()
        );
        assert!(sections.contains(".gnu_debuglink"), "no debug link");
        assert!(hardening_faults(&installed).is_empty());
        let debug =
            legrec::spool::layout::find_files(&dest.path().join("usr/lib/debug/.build-id"), "");
        assert_eq!(debug.len(), 1, "{debug:?}");
        assert!(readelf(&["-SW"], &debug[0]).contains(".debug_info"));
    }
}

/// The crates only the `legrec` tool uses (RFC 3161 tokens and evidence
/// bundles: CMS, X.509, RustCrypto's RSA, DER, tar), found in `so`'s
/// symbols.  The module links the whole core as a static library; without
/// `--gc-sections` every object it pulled in came along, 1.9 MB of code the
/// PBX never runs.  (ring's RSA, rustls's, stays: the webhook client uses it.)
fn tool_only_code(so: &Path) -> Vec<String> {
    let out = Command::new("nm")
        .args(["-C", "--defined-only"])
        .arg(so)
        .output()
        .expect("nm (binutils) installed");
    assert!(out.status.success(), "nm {}", so.display());
    let crates = ["x509_tsp", "cms", "x509_cert", "der", "rsa", "tar"];
    let mut found: Vec<String> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.splitn(3, ' ').nth(2).unwrap_or("");
        for krate in crates {
            let path = format!("{krate}::");
            let starts_a_path = name.match_indices(&path).any(|(at, _)| {
                // `ring::rsa::` or `webpki::der::` are other crates' modules.
                at == 0 || !matches!(name.as_bytes()[at - 1], b':' | b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9')
            });
            if starts_a_path && !found.iter().any(|f| f == krate) {
                found.push(krate.to_string());
            }
        }
    }
    found
}

#[test]
fn the_modules_carry_none_of_the_tools_crates() {
    for so in modules() {
        let found = tool_only_code(&so);
        assert!(
            found.is_empty(),
            "{} links code only the legrec tool runs, from: {}",
            so.display(),
            found.join(", ")
        );
    }
    // The same check on the whole static library, linked in as it is, must
    // find them, or the test proves nothing.
    let whole = tempfile::tempdir().unwrap();
    let so = whole.path().join("app_legrec.so");
    let st = Command::new("cc")
        .args(["-shared", "-o"])
        .arg(&so)
        .arg("-Wl,--whole-archive")
        .arg(common::staticlib())
        .args([
            "-Wl,--no-whole-archive",
            "-lFLAC",
            "-lpthread",
            "-ldl",
            "-lm",
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let found = tool_only_code(&so);
    assert!(found.contains(&"cms".to_string()), "{found:?}");
}
