//! legrec: check and repair recordings made by app_legrec / mod_legrec.
//! The command line is legrec-cli's (shared with legrec-fleet, which this
//! runs for the tools beside the PBX); this file only carries it out.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use legrec::admin;
use legrec_cli::clap::FromArgMatches;
use legrec_cli::{Command, HoldCommand, Legrec, Place, SubjectCommand};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cli = legrec_cli::command(legrec::VERSION);
    let command = match cli
        .try_get_matches()
        .and_then(|m| Legrec::from_arg_matches(&m))
    {
        Ok(l) => l.command,
        // --help and --version are "errors" that exit 0.
        Err(e) => e.exit(),
    };
    // The tools beside the PBX, and what needs a bucket when legrec.conf
    // names one ([storage] url: erase and export from it too, verify the
    // anchors' tokens there), are legrec-fleet's.
    let ships = |conf: &Option<PathBuf>| conf.as_deref().is_some_and(has_bucket);
    let fleets = match &command {
        Command::Verify(v) => ships(&v.config),
        Command::Erase(e) => ships(&e.place.config),
        Command::Subject(s) => match &s.command {
            SubjectCommand::Export { place, .. } => ships(&place.config),
        },
        Command::Prune(p) => ships(&p.config),
        other => other.is_fleets(),
    };
    if fleets {
        return fleet(&args);
    }
    let (name, result) = match command {
        Command::Verify(v) => ("verify", verify(v)),
        Command::Evidence(e) => ("evidence", evidence(e)),
        Command::Hold(h) => ("hold", hold(h.command)),
        Command::Erase(e) => (
            "erase",
            spool(&e.place).and_then(|s| {
                let reason = e.reason.as_deref().ok_or("an erasure needs --reason")?;
                admin::subject::erase(
                    &s,
                    &e.ids,
                    e.number.as_deref(),
                    reason,
                    &mut std::io::stdout(),
                )
            }),
        ),
        Command::Subject(s) => match s.command {
            SubjectCommand::Export { number, out, place } => (
                "subject export",
                spool(&place).and_then(|s| {
                    admin::subject::export(&s, &number, &out, &mut std::io::stdout())
                }),
            ),
        },
        Command::Anchor(a) => (
            "anchor",
            admin::anchor::run(&a.config, a.once, &mut std::io::stdout()),
        ),
        Command::Repair(r) => return repair(&r.path),
        Command::Info(i) => (
            "info",
            admin::info::run(&i.what, &i.spool, &mut std::io::stdout()),
        ),
        Command::Prune(p) => return prune(p),
        Command::ManPage => {
            let mut out = std::io::stdout();
            (
                "man-page",
                legrec_cli::man::render(legrec_cli::command(legrec::VERSION), &mut out)
                    .map_err(|e| e.to_string()),
            )
        }
        Command::Ship(_)
        | Command::Index(_)
        | Command::Search(_)
        | Command::Serve(_)
        | Command::User(_) => unreachable!("run by legrec-fleet above"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("legrec {name}: {e}");
            ExitCode::from(1)
        }
    }
}

/// Runs legrec-fleet, installed beside this program, with the same
/// arguments (as git and cargo run their subcommands).
fn fleet(args: &[String]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("legrec-fleet")))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| PathBuf::from("legrec-fleet"));
    let err = std::process::Command::new(&program).args(args).exec();
    eprintln!(
        "legrec {}: cannot run {} ({err}); it is built by `make fleet` and installed with legrec",
        args[0],
        program.display()
    );
    ExitCode::from(2)
}

/// Does legrec.conf ship to a bucket (`[storage] url`)?
fn has_bucket(conf: &Path) -> bool {
    legrec::policy::ini::read(conf).is_ok_and(|raw| {
        raw.sections
            .iter()
            .any(|s| s.name == "storage" && s.lines.iter().any(|l| l.key == "url"))
    })
}

/// spool_dir of a legrec.conf, checked as the PBX checks the whole file.
fn spool_of(conf: &Path) -> Result<PathBuf, String> {
    let raw = legrec::policy::ini::read(conf).map_err(|e| e.to_string())?;
    let settings = legrec::policy::config::Settings::from_raw(&raw).map_err(|e| e.to_string())?;
    Ok(settings.general.spool_dir)
}

/// The spool: --spool, else --config's spool_dir, else the default.
fn spool(place: &Place) -> Result<PathBuf, String> {
    match (&place.spool, &place.config) {
        (Some(s), _) => Ok(s.clone()),
        (None, Some(c)) => spool_of(c),
        (None, None) => Ok(PathBuf::from(legrec_cli::DEFAULT_SPOOL)),
    }
}

fn hold(command: HoldCommand) -> Result<(), String> {
    let out = &mut std::io::stdout();
    match command {
        HoldCommand::Add {
            ids,
            caller,
            queue,
            from,
            to,
            reason,
            place,
        } => {
            let h = legrec::hold::Hold {
                ids,
                caller,
                queue,
                from,
                to,
                reason,
                by: String::new(),
            };
            admin::hold::add(&spool(&place)?, h, out)
        }
        HoldCommand::Release {
            hold,
            reason,
            place,
        } => admin::hold::release(&spool(&place)?, &hold, &reason, out),
        HoldCommand::List { place } => admin::hold::list(&spool(&place)?, out),
    }
}

fn verify(v: legrec_cli::Verify) -> Result<(), String> {
    if let Some(bundle) = v.bundle {
        let problems = admin::bundle::verify(&bundle, v.tsa_ca.as_deref(), &mut std::io::stdout());
        return match problems.len() {
            0 => Ok(()),
            n => Err(format!("the bundle does not hold ({n} problem(s))")),
        };
    }
    let path = v.path.expect("clap requires PATH without --bundle");
    let trust = match (v.config, v.tsa_ca) {
        (Some(conf), _) => admin::anchor::trust_of_config(&conf),
        (None, Some(ca)) => legrec::anchor::check::Trust::from_file(&ca, None).map(Some),
        (None, None) => Ok(None),
    };
    let trust = match trust {
        Ok(t) => t,
        Err(e) => {
            eprintln!("legrec verify: {e}");
            std::process::exit(2);
        }
    };
    match admin::verify::run_trusting(&path, trust.as_ref(), &mut std::io::stdout()) {
        0 => Ok(()),
        n => Err(format!("{n} recording(s) failed")),
    }
}

fn repair(path: &Path) -> ExitCode {
    if path.is_dir() {
        return repair_dir(path);
    }
    let result = if legrec::spool::layout::is_marker(path) {
        admin::repair::repair_recording(path, "legrec repair")
            .map(|s| format!("repaired; sidecar {}", s.display()))
    } else {
        admin::repair::repair_flac(path).map(|r| {
            format!(
                "repaired {}: {} samples kept{}",
                path.display(),
                r.samples,
                r.cut.map(|c| format!(" (cut: {c})")).unwrap_or_default()
            )
        })
    };
    match result {
        Ok(msg) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("legrec repair: {e}");
            ExitCode::from(1)
        }
    }
}

fn prune(p: legrec_cli::Prune) -> ExitCode {
    let spool_dir = match (p.spool, &p.config) {
        (Some(s), _) => s,
        (None, Some(file)) => match spool_of(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("legrec prune: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => unreachable!("clap requires SPOOL or --config"),
    };
    let now = match p.now {
        None => std::time::SystemTime::now(),
        Some(t) => match humantime::parse_rfc3339(&t) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("legrec prune: --now {t}: {e}");
                return ExitCode::from(2);
            }
        },
    };
    match admin::prune::run(&spool_dir, now, &mut std::io::stdout()) {
        Ok(n) => {
            println!("{n} recording(s) pruned");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("legrec prune: {e}");
            ExitCode::from(1)
        }
    }
}

/// `legrec evidence ID -o FILE`: the spool and the CA from legrec.conf
/// with --config, else the spool of --spool (or the default) and the CA
/// kept beside its tokens.
fn evidence(e: legrec_cli::Evidence) -> Result<(), String> {
    let (spool, ca) = match (&e.config, e.spool) {
        (Some(conf), _) => {
            let found = spool_of(conf).and_then(|s| {
                legrec::anchor::config::AnchorConfig::read(conf).map(|a| (s, a.map(|a| a.tsa_ca)))
            });
            match found {
                Ok(x) => x,
                Err(err) => {
                    eprintln!("legrec evidence: {}: {err}", conf.display());
                    std::process::exit(2);
                }
            }
        }
        (None, s) => (
            s.unwrap_or_else(|| PathBuf::from(legrec_cli::DEFAULT_SPOOL)),
            None,
        ),
    };
    let x = admin::evidence::export(&spool, &e.id, ca.as_deref(), &e.out)?;
    println!(
        "wrote {}: {} file(s), chain entries {} to {}, anchored",
        e.out.display(),
        x.files,
        x.recorded_seq,
        x.anchor_seq
    );
    Ok(())
}

/// `legrec repair DIR`: every interrupted recording under DIR.
fn repair_dir(dir: &Path) -> ExitCode {
    let mut failed = 0;
    admin::repair::repair_spool(dir, "legrec repair", &|| false, &mut |marker, r| match r {
        admin::repair::SpoolRepair::Repaired { sidecar, seconds } => {
            println!("repaired {} ({seconds:.1} s kept)", sidecar.display())
        }
        admin::repair::SpoolRepair::Live => {
            println!("skipped {}: still being recorded", marker.display())
        }
        admin::repair::SpoolRepair::Failed(e) => {
            failed += 1;
            eprintln!("legrec repair: {e}");
        }
    });
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
