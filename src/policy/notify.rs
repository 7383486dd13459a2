//! Who hears that a recording is final, per policy: a command to run
//! (`on_finish`) and a webhook to call (`notify_url`, signed with
//! `notify_secret`).  Checked at load so that a typo is an error naming
//! its line, not a silent failure at the end of every call.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::config::Policy;

/// `on_finish` as it is run: no shell, the sidecar's path appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// The policy's `on_finish` command, if it has one.  Arguments are split
/// at white space; nothing is expanded.
pub fn command(p: &Policy) -> Option<Command> {
    let mut words = p.on_finish.split_whitespace();
    let program = PathBuf::from(words.next()?);
    Some(Command {
        program,
        args: words.map(str::to_string).collect(),
    })
}

/// The policy's webhook, if it has one.
pub fn webhook(p: &Policy) -> Option<&str> {
    (!p.notify_url.is_empty()).then_some(p.notify_url.as_str())
}

pub fn check(p: &Policy) -> Result<(), (&'static str, String)> {
    if p.on_finish.contains(['\0', '\n', '\r']) {
        return Err(("on_finish", "must not hold control characters".into()));
    }
    if let Some(c) = command(p) {
        let shown = c.program.display();
        if !c.program.is_absolute() {
            return Err((
                "on_finish",
                format!("'{shown}' must be an absolute path (no shell runs it)"),
            ));
        }
        match std::fs::metadata(&c.program) {
            Err(e) => return Err(("on_finish", format!("'{shown}': {e}"))),
            Ok(m) if !m.is_file() || m.permissions().mode() & 0o111 == 0 => {
                return Err(("on_finish", format!("'{shown}' is not an executable file")))
            }
            Ok(_) => {}
        }
    }
    if !(1..=86_400).contains(&p.on_finish_timeout) {
        return Err((
            "on_finish_timeout",
            "must be from 1 to 86400 seconds".into(),
        ));
    }
    if let Some(url) = webhook(p) {
        let parsed = url::Url::parse(url).map_err(|e| ("notify_url", format!("'{url}': {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err((
                "notify_url",
                format!("'{url}' is not an http:// or https:// URL"),
            ));
        }
        if p.notify_secret.is_empty() {
            return Err((
                "notify_url",
                "needs notify_secret: the key the receiver checks X-Legrec-Signature with".into(),
            ));
        }
    }
    if !(60..=30 * 86_400).contains(&p.notify_give_up_after) {
        return Err((
            "notify_give_up_after",
            "must be from 60 seconds to 30 days (2592000)".into(),
        ));
    }
    Ok(())
}
