//! legrec's own prompts: what they are called when a policy names them.
//!
//! They live in a folder of the PBX's sounds that legrec alone owns
//! (Asterisk: `<astdatadir>/sounds/legrec/`).  They used to be installed
//! into `sounds/en/`, which on Debian is a symlink that update-alternatives
//! manages (`asterisk-prompt-en`): removing the package then removed the
//! symlink with it, and with it every English prompt Asterisk has.
//!
//! Asterisk looks a name up as `sounds/<language>/<name>` before
//! `sounds/<name>`, so an admin's own recording at
//! `sounds/<language>/legrec/legrec-notice.wav` takes precedence over the
//! shipped one for that language.

/// The recording notice, played where the law asks for one and the policy
/// names none.
pub const NOTICE: &str = "legrec/legrec-notice";
/// The consent prompt of `consent = opt-out` when the policy names none.
pub const OPT_OUT: &str = "legrec/legrec-optout";
/// The consent prompt of `consent = opt-in` when the policy names none.
pub const OPT_IN: &str = "legrec/legrec-optin";

/// The sound to play for a name written in a policy: the bare names that
/// earlier configurations used for legrec's own prompts (`legrec-notice`,
/// which the package's own legrec.conf said) still name them; every other
/// name is the admin's and is played as written.
pub fn resolve(name: &str) -> &str {
    [NOTICE, OPT_OUT, OPT_IN]
        .into_iter()
        .find(|own| own.strip_prefix("legrec/") == Some(name))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_bare_names_name_the_shipped_prompts() {
        assert_eq!(resolve("legrec-notice"), NOTICE);
        assert_eq!(resolve("legrec-optout"), OPT_OUT);
        assert_eq!(resolve("legrec-optin"), OPT_IN);
    }

    #[test]
    fn every_other_name_is_played_as_written() {
        for name in [
            "",
            "custom/notice",
            "legrec/legrec-notice",
            "legrec-notice.wav",
            "beep",
        ] {
            assert_eq!(resolve(name), name);
        }
    }
}
