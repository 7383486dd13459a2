//! After a crash between chaining "shipped" and noting it in the state,
//! the chain has the last word: a recording it says was shipped is not
//! chained again.

use std::collections::HashSet;
use std::path::Path;

use legrec::audit;
use legrec::spool::layout;

use super::state;

pub fn audited(spool: &Path) -> std::io::Result<()> {
    let pending: Vec<(String, state::Shipped)> = std::fs::read_dir(layout::ship_dir(spool))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_suffix(".shipped")?.to_string();
            let s = state::read(spool, &id)?;
            (!s.audited).then_some((id, s))
        })
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    // A broken chain is `legrec verify`'s to report; here it only means
    // no entry can be trusted to be there, so all are chained again.
    let shipped: HashSet<String> = audit::verify_chain(&layout::audit_log(spool))
        .map(|entries| {
            entries
                .into_iter()
                .filter(|e| e.event == "shipped")
                .map(|e| e.id)
                .collect()
        })
        .unwrap_or_default();
    for (id, s) in pending {
        if shipped.contains(&id) {
            state::write(spool, &id, &state::Shipped { audited: true, ..s })?;
        }
    }
    Ok(())
}
