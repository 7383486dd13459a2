//! Why a recording could not start: what `Core::start` returns, and what
//! the opener hands over when the files could not be created.

/// Why a recording could not start.
#[derive(Debug)]
pub enum StartError {
    UnknownPolicy(String),
    Io(String),
    ShuttingDown,
    /// never_record matched this entry.
    Exempt(String),
    /// An unattended start (API, CLI) of a policy that asks for a key.
    NeedsConsentWindow(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::UnknownPolicy(p) => write!(f, "no policy named '{p}' in the configuration"),
            StartError::Io(e) => f.write_str(e),
            StartError::ShuttingDown => f.write_str("legrec is shutting down"),
            StartError::Exempt(e) => write!(f, "never_record lists '{e}': not recorded"),
            StartError::NeedsConsentWindow(p) => write!(
                f,
                "policy {p} asks the caller for a key press: start it from the dialplan, not from outside the call"
            ),
        }
    }
}
