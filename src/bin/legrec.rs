//! legrec: check and repair recordings made by app_legrec / mod_legrec.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use legrec::admin;

const USAGE: &str = "usage:
  legrec verify PATH [--config FILE | --tsa-ca FILE]
                                 check FLAC files against their sidecars
                                 (a sidecar, a FLAC file, or a folder), the
                                 audit chain, and its RFC 3161 anchors
                                 against the CA of [anchor] tsa_ca (or
                                 --tsa-ca); with [anchor], anchors are
                                 required at its interval; with a [storage]
                                 url, the tokens the shipper copied to the
                                 bucket are checked against the chain too
  legrec verify --bundle FILE [--tsa-ca FILE]
                                 check an evidence bundle on its own
  legrec evidence ID -o FILE [--config FILE | --spool DIR]
                                 one tar with the recording's files, its
                                 chain entries up to the first anchor after
                                 it, that anchor's token, the TSA's CA and
                                 VERIFY.txt (checkable with sha256sum and
                                 openssl alone); the export is chained
  legrec hold add ID...|--caller N|--queue Q [--from T] [--to T] --reason TEXT
  legrec hold release HOLD --reason TEXT
  legrec hold list               legal holds ([--config FILE|--spool DIR]):
                                 a held recording survives prune, the
                                 shipper's keep_local_days and erasure;
                                 placed and released in the audit chain
                                 with the Unix user and the reason
  legrec erase ID|--number N --reason TEXT [--config FILE|--spool DIR]
                                 erase a recording's audio (or every one
                                 where N took part): a tombstone in the
                                 chain, the sidecar's personal fields
                                 replaced; refused under a legal hold;
                                 with a [storage] url, shipped recordings
                                 are erased from the bucket and the index
                                 too (and erasures cut short finished)
  legrec subject export --number N -o FILE [--config FILE|--spool DIR]
                                 every recording where N took part, as
                                 evidence bundles plus index.json, in one tar;
                                 with a [storage] url, also those only in
                                 the bucket (fetched; index.json says from
                                 where)
  legrec anchor --config FILE [--once]
                                 have the TSA of [anchor] time-stamp the
                                 audit chain's head whenever it grew (every
                                 interval, and daily); --once: now if due
  legrec repair PATH             repair a FLAC file cut by a crash, or a whole
                                 recording given its .inprogress.json marker
  legrec info ID|FILE [--spool DIR]
                                 describe a recording
  legrec prune SPOOL|--config FILE [--now RFC3339]
                                 delete recordings past their policy's
                                 retention_days, noted in the audit log;
                                 --config reads spool_dir from legrec.conf;
                                 with a [storage] url, shipped recordings
                                 are deleted from the bucket too
  legrec ship|index|search ...   the tools beside the PBX (legrec-fleet):
                                 `legrec ship --help` says more
  legrec --version";

/// Commands of legrec-fleet, the tools that work over the network: kept
/// apart so the PBX's module never carries their libraries.
const FLEET_COMMANDS: &[&str] = &["ship", "index", "search", "serve", "user"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .first()
        .is_some_and(|a| FLEET_COMMANDS.contains(&a.as_str()))
    {
        return fleet(&args);
    }
    let spool = args
        .iter()
        .position(|a| a == "--spool")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/spool/asterisk/legrec"));
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["verify", "--bundle", file, rest @ ..] => {
            let ca = match rest {
                [] => None,
                ["--tsa-ca", ca] => Some(Path::new(*ca)),
                _ => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            };
            let problems = admin::bundle::verify(Path::new(file), ca, &mut std::io::stdout());
            if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "legrec verify: the bundle does not hold ({} problem(s))",
                    problems.len()
                );
                ExitCode::from(1)
            }
        }
        ["evidence", id, "-o", file, rest @ ..] => evidence(id, Path::new(file), rest, &spool),
        ["verify", _, rest @ ..] if ships(rest) => fleet(&args),
        ["verify", path, rest @ ..] => {
            let trust = match rest {
                [] => Ok(None),
                ["--config", conf] => admin::anchor::trust_of_config(Path::new(conf)),
                ["--tsa-ca", ca] => {
                    legrec::anchor::check::Trust::from_file(Path::new(ca), None).map(Some)
                }
                _ => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            };
            let trust = match trust {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("legrec verify: {e}");
                    return ExitCode::from(2);
                }
            };
            let failures = admin::verify::run_trusting(
                Path::new(path),
                trust.as_ref(),
                &mut std::io::stdout(),
            );
            if failures == 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!("legrec verify: {failures} recording(s) failed");
                ExitCode::from(1)
            }
        }
        ["repair", path] => {
            let p = Path::new(path);
            if p.is_dir() {
                return repair_dir(p);
            }
            let result = if path.ends_with(".inprogress.json") {
                admin::repair::repair_recording(p, "legrec repair")
                    .map(|s| format!("repaired; sidecar {}", s.display()))
            } else {
                admin::repair::repair_flac(p).map(|r| {
                    format!(
                        "repaired {}: {} samples kept{}",
                        p.display(),
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
        ["info", what, ..] => match admin::info::run(what, &spool, &mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("legrec info: {e}");
                ExitCode::from(1)
            }
        },
        // Shipped recordings are pruned from the bucket too, by the tool
        // that knows it.
        ["prune", "--config", file, ..] if has_bucket(Path::new(file)) => fleet(&args),
        ["prune", "--config", file, rest @ ..] => match spool_of(Path::new(file)) {
            Ok(spool) => prune(&spool, rest),
            Err(e) => {
                eprintln!("legrec prune: {file}: {e}");
                ExitCode::from(2)
            }
        },
        ["prune", spool_dir, rest @ ..] => prune(Path::new(spool_dir), rest),
        ["erase", rest @ ..] if ships(rest) => fleet(&args),
        ["erase", rest @ ..] => {
            match admin::subject::erase(rest, &spool, &spool_of, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("legrec erase: {e}");
                    ExitCode::from(1)
                }
            }
        }
        ["subject", "export", rest @ ..] if ships(rest) => fleet(&args),
        ["subject", "export", rest @ ..] => {
            match admin::subject::export(rest, &spool, &spool_of, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("legrec subject export: {e}");
                    ExitCode::from(1)
                }
            }
        }
        ["hold", rest @ ..] => {
            match admin::hold::run(rest, &spool, &spool_of, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("legrec hold: {e}");
                    ExitCode::from(1)
                }
            }
        }
        ["anchor", "--config", conf, rest @ ..] => {
            let once = match rest {
                [] => false,
                ["--once"] => true,
                _ => {
                    eprintln!("{USAGE}");
                    return ExitCode::from(2);
                }
            };
            match admin::anchor::run(Path::new(conf), once, &mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("legrec anchor: {e}");
                    ExitCode::from(1)
                }
            }
        }
        ["--version"] => {
            println!("legrec {}", legrec::VERSION);
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
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

/// Does the `--config FILE` among `rest` ship to a bucket?
fn ships(rest: &[&str]) -> bool {
    rest.windows(2)
        .any(|w| w[0] == "--config" && has_bucket(Path::new(w[1])))
}

/// spool_dir of a legrec.conf, checked as the PBX checks the whole file.
fn spool_of(conf: &Path) -> Result<PathBuf, String> {
    let raw = legrec::policy::ini::read(conf).map_err(|e| e.to_string())?;
    let settings = legrec::policy::config::Settings::from_raw(&raw).map_err(|e| e.to_string())?;
    Ok(settings.general.spool_dir)
}

fn prune(spool_dir: &Path, rest: &[&str]) -> ExitCode {
    let now = match rest {
        [] => std::time::SystemTime::now(),
        ["--now", t] => match humantime::parse_rfc3339(t) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("legrec prune: --now {t}: {e}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match admin::prune::run(spool_dir, now, &mut std::io::stdout()) {
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
fn evidence(id: &str, out: &Path, rest: &[&str], spool: &Path) -> ExitCode {
    let (spool, ca) = match rest {
        ["--config", conf] => {
            let conf = Path::new(conf);
            let found = spool_of(conf).and_then(|s| {
                legrec::anchor::config::AnchorConfig::read(conf).map(|a| (s, a.map(|a| a.tsa_ca)))
            });
            match found {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("legrec evidence: {}: {e}", conf.display());
                    return ExitCode::from(2);
                }
            }
        }
        [] | ["--spool", _] => (spool.to_path_buf(), None),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match admin::evidence::export(&spool, id, ca.as_deref(), out) {
        Ok(x) => {
            println!(
                "wrote {}: {} file(s), chain entries {} to {}, anchored",
                out.display(),
                x.files,
                x.recorded_seq,
                x.anchor_seq
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("legrec evidence: {e}");
            ExitCode::from(1)
        }
    }
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
