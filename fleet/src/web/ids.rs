//! The only parts of a URL that reach the file system: a recording id and a
//! leg name, each checked against the one form it can take.

/// A recording id as `legrec::spool::layout::new_id` makes them:
/// `YYYYMMDD-HHMMSS-mmm-xxxxxxxx` (UTC digits, then eight lower-case hex).
pub fn valid_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 28
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 15 | 19 => *c == b'-',
            0..=18 => c.is_ascii_digit(),
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

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
        Some(match s {
            "in" => Leg::In,
            "out" => Leg::Out,
            "stereo" => Leg::Stereo,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Leg::In => "in",
            Leg::Out => "out",
            Leg::Stereo => "stereo",
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
