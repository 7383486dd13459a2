//! `legrec hold add|release|list`: legal holds (see crate::hold), placed
//! and released by the Unix user who runs this, with the reason given.

use std::path::{Path, PathBuf};

use super::evidence::unix_user;
use crate::hold::{self, Hold, Release};
use crate::spool::layout;

/// The options every hold command takes, and the rest.
struct Args<'a> {
    spool: PathBuf,
    reason: Option<String>,
    hold: Hold,
    names: Vec<&'a str>,
}

fn parse<'a>(
    args: &[&'a str],
    spool: &Path,
    spool_of: &dyn Fn(&Path) -> Result<PathBuf, String>,
) -> Result<Args<'a>, String> {
    let mut a = Args {
        spool: spool.to_path_buf(),
        reason: None,
        hold: Hold::default(),
        names: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .map(|v| v.to_string())
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match *arg {
            "--spool" => a.spool = PathBuf::from(value()?),
            "--config" => a.spool = spool_of(Path::new(&value()?))?,
            "--reason" => a.reason = Some(value()?),
            "--caller" => a.hold.caller = Some(value()?),
            "--queue" => a.hold.queue = Some(value()?),
            "--from" => a.hold.from = Some(value()?),
            "--to" => a.hold.to = Some(value()?),
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => a.names.push(s),
        }
    }
    Ok(a)
}

/// `args` are what follows `legrec hold`.  `spool_of` reads a
/// legrec.conf's spool_dir.
pub fn run(
    args: &[&str],
    spool: &Path,
    spool_of: &dyn Fn(&Path) -> Result<PathBuf, String>,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let (command, rest) = args.split_first().ok_or("legrec hold add|release|list")?;
    let a = parse(rest, spool, spool_of)?;
    match *command {
        "add" => {
            let mut h = a.hold;
            h.ids = a.names.iter().map(|s| s.to_string()).collect();
            h.reason = a.reason.unwrap_or_default();
            h.by = unix_user();
            let placed = hold::place(&a.spool, h)?;
            let covered = covered(&a.spool, &placed.hold);
            let _ = writeln!(
                out,
                "placed {} on {} (chained as entry {}; {covered} recording(s) in the spool now)",
                placed.name,
                placed.hold.what(),
                placed.seq
            );
            Ok(())
        }
        "release" => {
            let [name] = a.names[..] else {
                return Err("legrec hold release HOLD --reason TEXT".into());
            };
            hold::release(
                &a.spool,
                name,
                Release {
                    reason: a.reason.unwrap_or_default(),
                    by: unix_user(),
                },
            )?;
            let _ = writeln!(out, "released {name}");
            Ok(())
        }
        "list" => {
            let holds = hold::active(&a.spool)?;
            if holds.is_empty() {
                let _ = writeln!(out, "no hold in force");
            }
            for h in holds {
                let _ = writeln!(
                    out,
                    "{}  {}  placed {} by {}: {} ({} recording(s) in the spool)",
                    h.name,
                    h.hold.what(),
                    h.at,
                    h.hold.by,
                    h.hold.reason,
                    covered(&a.spool, &h.hold)
                );
            }
            Ok(())
        }
        other => Err(format!("legrec hold {other}: add, release or list")),
    }
}

/// How many recordings of the spool `hold` covers now.
fn covered(spool: &Path, hold: &Hold) -> usize {
    layout::sidecars(spool)
        .iter()
        .filter_map(|p| super::read_sidecar(p).ok())
        .filter(|sc| hold.covers(sc))
        .count()
}
