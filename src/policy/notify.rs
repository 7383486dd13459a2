//! Who hears that a recording is final, per policy: a command to run
//! (`on_finish`) and a webhook to call (`notify_url`, signed with
//! `notify_secret`).  Checked at load so that a typo is an error naming
//! its line, not a silent failure at the end of every call.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// A policy's notification keys (`Policy::notify`).
#[derive(Clone, Copy, Debug)]
pub struct Asks<'a> {
    pub on_finish: &'a str,
    pub on_finish_timeout: u32,
    pub notify_url: &'a str,
    pub notify_secret: &'a str,
    pub notify_give_up_after: u32,
}

/// `on_finish` as it is run: no shell, the sidecar's path appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub program: PathBuf,
    pub args: Vec<String>,
}

/// The policy's `on_finish` command, if it has one.  Arguments are split
/// at white space; nothing is expanded.
pub fn command(p: Asks<'_>) -> Option<Command> {
    let mut words = p.on_finish.split_whitespace();
    let program = PathBuf::from(words.next()?);
    Some(Command {
        program,
        args: words.map(str::to_string).collect(),
    })
}

/// The policy's webhook, if it has one.
pub fn webhook<'a>(p: Asks<'a>) -> Option<&'a str> {
    (!p.notify_url.is_empty()).then_some(p.notify_url)
}

pub fn check(p: Asks<'_>) -> Result<(), (&'static str, String)> {
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

#[cfg(test)]
mod tests {
    use crate::policy::config::{RawConfig, Settings};

    /// The error for policy `p` with `key = value` at line 7 (and the
    /// other keys given, at line 3).
    fn refused(key: &str, value: &str, others: &[(&str, &str)]) -> String {
        let mut raw = RawConfig::default();
        raw.set("general", "spool_dir", "/tmp/legrec-test", 1);
        for (k, v) in others {
            raw.set("p", k, v, 3);
        }
        raw.set("p", key, value, 7);
        Settings::from_raw(&raw).unwrap_err().to_string()
    }

    #[test]
    fn a_bad_command_url_or_secret_is_an_error_naming_its_line() {
        let e = refused("on_finish", "/no/such/program --x", &[]);
        assert!(
            e.starts_with("line 7: [p] on_finish") && e.contains("No such file"),
            "{e}"
        );
        let e = refused("on_finish", "ship-it.sh", &[]);
        assert!(e.contains("must be an absolute path"), "{e}");
        let e = refused("on_finish", "/etc/passwd", &[]);
        assert!(e.contains("is not an executable file"), "{e}");
        let e = refused("notify_url", "not a url", &[("notify_secret", "k")]);
        assert!(e.starts_with("line 7: [p] notify_url"), "{e}");
        let e = refused(
            "notify_url",
            "ftp://example.org/x",
            &[("notify_secret", "k")],
        );
        assert!(e.contains("is not an http:// or https:// URL"), "{e}");
        let e = refused("notify_url", "https://crm.example.org/hook", &[]);
        assert!(
            e.starts_with("line 7: [p] notify_url") && e.contains("needs notify_secret"),
            "{e}"
        );
        let e = refused(
            "notify_secret",
            "",
            &[("notify_url", "https://crm.example.org/hook")],
        );
        assert!(
            e.starts_with("line 3: [p] notify_url") && e.contains("needs notify_secret"),
            "{e}"
        );
        let e = refused("on_finish_timeout", "0", &[]);
        assert!(e.starts_with("line 7: [p] on_finish_timeout"), "{e}");
    }

    #[test]
    fn a_good_command_and_webhook_load() {
        let mut raw = RawConfig::default();
        raw.set("general", "spool_dir", "/tmp/legrec-test", 1);
        raw.set("p", "on_finish", "/bin/true --flag", 2);
        raw.set("p", "notify_url", "https://crm.example.org/hook?x=1", 3);
        raw.set("p", "notify_secret", "k", 4);
        let s = Settings::from_raw(&raw).unwrap();
        let p = &s.policies["p"];
        let c = super::command(p.notify()).unwrap();
        assert_eq!(c.program, std::path::Path::new("/bin/true"));
        assert_eq!(c.args, ["--flag"]);
        assert_eq!(
            super::webhook(p.notify()),
            Some("https://crm.example.org/hook?x=1")
        );
    }
}
