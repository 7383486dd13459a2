//! `legrec hold add|release|list`: legal holds (see crate::hold), placed
//! and released by the Unix user who runs this, with the reason given.

use std::path::Path;

use super::evidence::unix_user;
use crate::hold::{self, Hold, Release};
use crate::spool::layout;

/// `legrec hold add`: `h` without `by`, which is the Unix user who runs
/// this.
pub fn add(spool: &Path, h: Hold, out: &mut dyn std::io::Write) -> Result<(), String> {
    let h = Hold {
        by: unix_user(),
        ..h
    };
    let placed = hold::place(spool, h)?;
    let covered = covered(spool, &placed.hold);
    let _ = writeln!(
        out,
        "placed {} on {} (chained as entry {}; {covered} recording(s) in the spool now)",
        placed.name,
        placed.hold.what(),
        placed.seq
    );
    Ok(())
}

/// `legrec hold release HOLD --reason TEXT`.
pub fn release(
    spool: &Path,
    name: &str,
    reason: &str,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    hold::release(
        spool,
        name,
        Release {
            reason: reason.to_string(),
            by: unix_user(),
        },
    )?;
    let _ = writeln!(out, "released {name}");
    Ok(())
}

/// `legrec hold list`.
pub fn list(spool: &Path, out: &mut dyn std::io::Write) -> Result<(), String> {
    let holds = hold::active(spool)?;
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
            covered(spool, &h.hold)
        );
    }
    Ok(())
}

/// How many recordings of the spool `hold` covers now.
fn covered(spool: &Path, hold: &Hold) -> usize {
    layout::sidecars(spool)
        .iter()
        .filter_map(|p| super::read_sidecar(p).ok())
        .filter(|sc| hold.covers(sc))
        .count()
}
