//! After a crash between chaining "shipped" and noting the state, the
//! chain has the last word: a recording it says was shipped is not
//! shipped or chained again.

use std::collections::HashSet;
use std::path::Path;

use legrec::audit;
use legrec::spool::layout;

/// The ids the spool's chain says were shipped.  A broken chain is
/// `legrec verify`'s to report; here it only means no entry can be trusted
/// to be there, so none is.
pub fn chained(spool: &Path) -> HashSet<String> {
    audit::verify_chain(&layout::audit_log(spool))
        .map(|entries| {
            entries
                .into_iter()
                .filter(|e| e.event == "shipped")
                .map(|e| e.id)
                .collect()
        })
        .unwrap_or_default()
}
