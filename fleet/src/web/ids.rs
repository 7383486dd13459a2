//! The only parts of a URL that reach the file system: a recording id and a
//! leg name, each checked against the one form it can take (both spelled
//! by legrec::spool::layout).

pub use legrec::spool::layout::valid_id;
use legrec::spool::layout::{LEG_NAMES, STEREO_NAME};

/// An audio file of a recording, as the sidecar names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// What the recorded party said.
    In,
    /// What it heard.
    Out,
    /// Both, L = in, R = out.
    Stereo,
}

impl Leg {
    pub fn parse(s: &str) -> Option<Leg> {
        [Leg::In, Leg::Out, Leg::Stereo]
            .into_iter()
            .find(|l| l.name() == s)
    }

    /// As the sidecar names it (legrec::spool::layout spells them).
    pub fn name(self) -> &'static str {
        match self {
            Leg::In => LEG_NAMES[0],
            Leg::Out => LEG_NAMES[1],
            Leg::Stereo => STEREO_NAME,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_ids_pass() {
        let now = std::time::SystemTime::now();
        assert!(valid_id(&legrec::spool::layout::new_id(now)));
        assert!(valid_id("20261128-084831-368-bea10000"));
        for bad in [
            "",
            "20261128-084831-368-bea1000",
            "20261128-084831-368-bea100000",
            "20261128-084831-368-BEA10000",
            "20261128_084831-368-bea10000",
            "../../../etc/passwd-368-bea1",
            "2026112a-084831-368-bea10000",
            "20261128-084831-368-bea1000/",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
