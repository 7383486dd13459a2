//! The `legrec` command line (cli/, shared with legrec-fleet): `--help`
//! for the program and for every command, a mistyped flag named in the
//! error, and the man page, generated from the same definitions, listing
//! every command and every flag.

use std::process::{Command, Output};

fn legrec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_legrec"))
        .args(args)
        .output()
        .unwrap()
}

/// The commands an admin is told about, by hand: one dropped from the
/// definitions fails here, not only in the walk below.
const COMMANDS: &[&str] = &[
    "verify", "evidence", "hold", "erase", "subject", "anchor", "repair", "info", "prune", "ship",
    "index", "search", "serve", "user",
];

/// Every command and subcommand, as words after `legrec`, with its flags.
fn every_command() -> Vec<(Vec<String>, Vec<String>)> {
    fn walk(
        cmd: &legrec_cli::clap::Command,
        path: Vec<String>,
        out: &mut Vec<(Vec<String>, Vec<String>)>,
    ) {
        for sub in cmd.get_subcommands() {
            if sub.is_hide_set() || sub.get_name() == "help" {
                continue;
            }
            let mut p = path.clone();
            p.push(sub.get_name().to_string());
            let flags = sub
                .get_arguments()
                .filter_map(|a| a.get_long())
                .filter(|l| *l != "help")
                .map(|l| format!("--{l}"))
                .collect();
            out.push((p.clone(), flags));
            walk(sub, p, out);
        }
    }
    let mut out = Vec::new();
    walk(&legrec_cli::command("test"), Vec::new(), &mut out);
    out
}

#[test]
fn help_answers_for_the_program_and_every_command() {
    let out = legrec(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for c in COMMANDS {
        assert!(help.contains(&format!("\n  {c} ")), "{c} missing:\n{help}");
    }
    let all = every_command();
    assert!(all.len() > COMMANDS.len(), "{all:?}");
    for (words, flags) in &all {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("--help");
        let out = legrec(&args);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "legrec {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            help.contains(&format!("Usage: legrec {}", words.join(" "))),
            "legrec {args:?}:\n{help}"
        );
        for f in flags {
            assert!(
                help.contains(f.as_str()),
                "legrec {args:?} lacks {f}:\n{help}"
            );
        }
    }
    // The fleet's commands are answered by legrec itself: `legrec serve
    // --help` once said "--help needs a value".
    let serve = String::from_utf8_lossy(&legrec(&["serve", "--help"]).stdout).into_owned();
    assert!(serve.contains("--listen <ADDR>"), "{serve}");
    // And `legrec --version`, as before.
    let v = legrec(&["--version"]);
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        format!("legrec {}", legrec::VERSION)
    );
}

#[test]
fn a_bad_flag_is_named_with_the_one_meant() {
    for (args, bad, meant) in [
        (
            &["verify", "/tmp", "--tsa-cert", "x"][..],
            "'--tsa-cert'",
            Some("'--tsa-ca'"),
        ),
        // After a positional, clap cannot tell a typo from a value: named
        // without a guess.
        (&["prune", "/tmp", "--nwo", "x"][..], "'--nwo'", None),
        (
            &["hold", "add", "--reson", "y"][..],
            "'--reson'",
            Some("'--reason'"),
        ),
        (
            &["search", "--callr", "1"][..],
            "'--callr'",
            Some("'--caller'"),
        ),
    ] {
        let out = legrec(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "legrec {args:?}: {err}");
        assert!(
            err.contains(&format!("unexpected argument {bad}"))
                && meant.is_none_or(|m| err.contains(m)),
            "legrec {args:?}: {err}"
        );
    }
    // A value missing, and a command that is none: named too.
    let err = String::from_utf8_lossy(&legrec(&["anchor", "--once"]).stderr).into_owned();
    assert!(err.contains("--config <FILE>"), "{err}");
    let err = String::from_utf8_lossy(&legrec(&["verfy", "x"]).stderr).into_owned();
    assert!(err.contains("'verfy'") && err.contains("'verify'"), "{err}");
}

#[test]
fn the_man_page_lists_every_command_and_flag() {
    let out = legrec(&["man-page"]);
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains("\n.TH LEGREC 1 "), "{page}");
    // roff escapes a '-' as "\-".
    let text = page.replace("\\-", "-");
    for c in COMMANDS {
        assert!(
            text.contains(&format!(".SS \"legrec {c}\"")),
            "{c} missing from the page"
        );
    }
    for (words, flags) in every_command() {
        let name = format!(".SS \"legrec {}\"", words.join(" "));
        let at = text.find(&name).unwrap_or_else(|| panic!("{name} missing"));
        let section = &text[at + name.len()..];
        let section = &section[..section.find(".SS ").unwrap_or(section.len())];
        for f in flags {
            assert!(section.contains(&f), "{name} lacks {f}:\n{section}");
        }
    }
    for heading in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH FILES",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(text.contains(heading), "{heading} missing");
    }
    // Nothing hidden leaks onto the page.
    assert!(!text.contains("man-page"));
}
