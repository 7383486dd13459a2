//! `legrec hold add|release|list`: legal holds (see crate::hold), placed
//! and released by the Unix user who runs this, with the reason given.

use std::path::{Path, PathBuf};

use super::evidence::unix_user;
use crate::hold::{self, Hold, Release};
use crate::spool::layout;

/// `args` are what follows `legrec hold`.  `spool_of` reads a
/// legrec.conf's spool_dir.
pub fn run(
    args: &[&str],
    spool: &Path,
    spool_of: &dyn Fn(&Path) -> Result<PathBuf, String>,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let (command, rest) = args.split_first().ok_or("legrec hold add|release|list")?;
    let o = super::opts::parse(rest, &["--reason", "--caller", "--queue", "--from", "--to"])?;
    let spool = o.spool(spool, spool_of)?;
    let reason = o.get("--reason").unwrap_or_default();
    match *command {
        "add" => {
            let h = Hold {
                ids: o.positional.clone(),
                caller: o.get("--caller"),
                queue: o.get("--queue"),
                from: o.get("--from"),
                to: o.get("--to"),
                reason,
                by: unix_user(),
            };
            let placed = hold::place(&spool, h)?;
            let covered = covered(&spool, &placed.hold);
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
            let [name] = &o.positional[..] else {
                return Err("legrec hold release HOLD --reason TEXT".into());
            };
            hold::release(
                &spool,
                name,
                Release {
                    reason,
                    by: unix_user(),
                },
            )?;
            let _ = writeln!(out, "released {name}");
            Ok(())
        }
        "list" => {
            let holds = hold::active(&spool)?;
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
                    covered(&spool, &h.hold)
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
