//! legrec's settings: `[general]` and one section per policy.
//!
//! The shims read their PBX's own config format and hand over the lines;
//! this module checks every one of them and says exactly which line is wrong.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};

use super::values::{EntriesDeserializer, Entry, ValueError};

/// The configuration as the PBX handed it over: sections in order, each with
/// its lines.
#[derive(Clone, Debug, Default)]
pub struct RawConfig {
    pub sections: Vec<RawSection>,
}

#[derive(Clone, Debug, Default)]
pub struct RawSection {
    pub name: String,
    pub lines: Vec<RawLine>,
}

#[derive(Clone, Debug)]
pub struct RawLine {
    pub key: String,
    pub value: String,
    pub line: u32,
}

impl RawSection {
    /// The section as typed settings `T`; an error names the line, the key
    /// and (unless the key itself is unknown) the value.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
        for l in &self.lines {
            if let Some(first) = seen.insert(&l.key, l.line) {
                return Err(ConfigError {
                    section: self.name.clone(),
                    key: Some(l.key.clone()),
                    value: None,
                    line: l.line,
                    message: format!("set twice (first at line {first})"),
                });
            }
        }
        let entries: Vec<Entry> = self
            .lines
            .iter()
            .map(|l| Entry {
                key: &l.key,
                value: &l.value,
            })
            .collect();
        T::deserialize(EntriesDeserializer::new(&entries)).map_err(|e| self.locate(e))
    }

    /// Where in this section a value error is.
    pub fn locate(&self, e: ValueError) -> ConfigError {
        let entry = e
            .key
            .as_deref()
            .and_then(|k| self.lines.iter().find(|l| l.key == k));
        ConfigError {
            section: self.name.clone(),
            key: e.key.clone(),
            value: entry
                .filter(|_| !e.message.starts_with("unknown key"))
                .map(|l| l.value.clone()),
            line: entry.map_or(0, |l| l.line),
            message: e.message,
        }
    }
}

impl RawConfig {
    /// The section named `section`, created empty if new.
    pub fn declare(&mut self, section: &str) -> &mut RawSection {
        let idx = match self.sections.iter().position(|s| s.name == section) {
            Some(i) => i,
            None => {
                self.sections.push(RawSection {
                    name: section.to_string(),
                    lines: Vec::new(),
                });
                self.sections.len() - 1
            }
        };
        &mut self.sections[idx]
    }

    pub fn set(&mut self, section: &str, key: &str, value: &str, line: u32) {
        self.declare(section).lines.push(RawLine {
            key: key.trim().to_string(),
            value: value.trim().to_string(),
            line,
        });
    }
}

/// A configuration error, naming where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub section: String,
    pub key: Option<String>,
    /// The offending value, when the error is about one.
    pub value: Option<String>,
    pub line: u32,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        if self.section.is_empty() {
            // Not about a line of a section: the file as a whole.
            return write!(f, "{}", self.message);
        }
        write!(f, "[{}]", self.section)?;
        if let Some(key) = &self.key {
            write!(f, " {key}")?;
        }
        if let Some(value) = &self.value {
            write!(f, " = '{value}'")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Who hears the recording notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeTo {
    Caller,
    Both,
    None,
}

/// How consent is obtained (see the consent issue for keypress handling).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConsentMode {
    Notify,
    OptOut,
    OptIn,
}

/// What a refusal (opt-out press, or no press under opt-in) keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeclinedAction {
    /// Nothing of the call's audio.
    Drop,
    /// Only the `out` leg: what the agent said, never the caller.
    AgentOnly,
}

/// Whether the parties' numbers decide what the law asks of the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JurisdictionMode {
    Off,
    Auto,
}

/// Which files a recording produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegsLayout {
    /// `<id>-in.flac` and `<id>-out.flac`.
    Split,
    /// `<id>.flac`, L = in, R = out.
    Stereo,
    /// Both of the above.
    Both,
}

impl LegsLayout {
    pub fn split(self) -> bool {
        matches!(self, LegsLayout::Split | LegsLayout::Both)
    }
    pub fn stereo(self) -> bool {
        matches!(self, LegsLayout::Stereo | LegsLayout::Both)
    }
}

macro_rules! enum_names {
    ($t:ty { $($v:ident => $s:literal),* }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
        }
    };
}
enum_names!(NoticeTo { Caller => "caller", Both => "both", None => "none" });
enum_names!(ConsentMode { Notify => "notify", OptOut => "opt-out", OptIn => "opt-in" });
enum_names!(LegsLayout { Split => "split", Stereo => "stereo", Both => "both" });
enum_names!(DeclinedAction { Drop => "drop", AgentOnly => "agent-only" });
enum_names!(JurisdictionMode { Off => "off", Auto => "auto" });
enum_names!(StartMode { Always => "always", OnDemand => "on-demand" });

/// When a recording keeps audio: from the start, or only once an agent
/// presses `record_key` (and until the key again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StartMode {
    Always,
    OnDemand,
}

/// A Unix permission mode written in octal, as admins write it (`0640`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode(pub u32);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match u32::from_str_radix(s.trim(), 8) {
            Ok(m) if m <= 0o777 => Ok(Mode(m)),
            _ => Err(serde::de::Error::custom(format!(
                "'{s}' is not an octal file mode such as 0640"
            ))),
        }
    }
}

/// `[general]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct General {
    pub spool_dir: PathBuf,
    pub workers: usize,
    pub compression_level: u32,
    pub file_mode: Mode,
    pub dir_mode: Mode,
    /// How far a leg may lag behind the call's clock before the worker fills
    /// silence (a direction with no audio, such as an idle agent).
    pub align_slack_ms: u32,
    /// Each leg's ring holds this much audio; beyond it frames are dropped.
    pub ring_ms: u32,
    /// How long a call's start waits for its files to be created before it
    /// goes on without them (they are made behind it; see recorder::files::opener).
    pub start_wait_ms: u32,
    /// At load, repair the recordings a crash left unfinished (their
    /// in-progress markers that no live process holds).
    pub repair_interrupted: bool,
    /// Extra jurisdiction lines (same format as data/jurisdictions.tsv),
    /// added to the shipped table.
    pub jurisdictions_file: Option<PathBuf>,
    /// How many `on_finish` commands may run at once; more wait their turn.
    pub on_finish_jobs: usize,
}

impl Default for General {
    fn default() -> Self {
        General {
            spool_dir: PathBuf::from("/var/spool/legrec"),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            compression_level: 5,
            file_mode: Mode(0o640),
            dir_mode: Mode(0o750),
            align_slack_ms: 250,
            // 10 s: with 300 calls starting their recorders in one instant
            // on a saturated 2-core machine, channel threads held up for
            // over a second overflowed 1 s rings in every run, and encoder
            // threads kept from the CPU for 2-4 s overflowed 3 s rings in
            // about half the runs (BENCHMARKS.md).  Beyond the 250 ms hot
            // part a ring is address space, not memory, until a stall
            // fills it.
            ring_ms: 10_000,
            // Long enough for any healthy disk (one start alone takes
            // 1-4 ms here), short enough that a call never waits on a sick
            // one for more than a blink.
            start_wait_ms: 250,
            repair_interrupted: true,
            jurisdictions_file: None,
            on_finish_jobs: 2,
        }
    }
}

/// One policy: the name `LegRecord()` and queues use.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    #[serde(skip)]
    pub name: String,
    pub notice: String,
    pub notice_to: NoticeTo,
    pub record_notice: bool,
    pub consent: ConsentMode,
    pub beep_interval: u32,
    pub legs: LegsLayout,
    pub sample_rate: u32,
    pub min_duration: u32,
    /// The key that opts out (opt-out) or in (opt-in).
    pub consent_digit: String,
    /// Seconds, from the start of the consent prompt, to press it.
    pub consent_timeout: u32,
    /// The prompt after the notice; empty = legrec's own (`prompts`).
    pub consent_prompt: String,
    pub declined_action: DeclinedAction,
    pub jurisdiction: JurisdictionMode,
    /// Days to keep recordings before `legrec prune` deletes them; 0 = keep.
    pub retention_days: u32,
    /// Numbers, extensions or channel-name prefixes never recorded
    /// (comma separated): staff who opted out, private lines.
    pub never_record: String,
    /// A program (absolute path, then arguments) run with the sidecar's
    /// path as its last argument once a recording is final.
    pub on_finish: String,
    /// Seconds an `on_finish` command may run before it is killed.
    pub on_finish_timeout: u32,
    /// A webhook that receives each final sidecar (http or https).
    pub notify_url: String,
    /// The HMAC-SHA256 key of the webhook's `X-Legrec-Signature`.
    pub notify_secret: String,
    /// Seconds after which an undelivered webhook is given up.
    pub notify_give_up_after: u32,
    /// `always`, or `on-demand`: nothing kept until `record_key`.
    pub start: StartMode,
    /// DTMF codes for the agent keys ("" = none).
    pub mask_key: String,
    pub pause_key: String,
    pub record_key: String,
}

impl Policy {
    /// Its agent keys.
    pub fn keys(&self) -> super::keys::Keys {
        super::keys::Keys::new(&self.mask_key, &self.pause_key, &self.record_key)
    }

    /// Its notification keys, for `policy::notify`.
    pub fn notify(&self) -> super::notify::Asks<'_> {
        super::notify::Asks {
            on_finish: &self.on_finish,
            on_finish_timeout: self.on_finish_timeout,
            notify_url: &self.notify_url,
            notify_secret: &self.notify_secret,
            notify_give_up_after: self.notify_give_up_after,
        }
    }

    /// The consent prompt for this policy's mode ("" under notify).
    pub fn consent_prompt(&self) -> &str {
        match (self.consent, self.consent_prompt.is_empty()) {
            (ConsentMode::Notify, _) => "",
            (_, false) => &self.consent_prompt,
            (ConsentMode::OptOut, true) => super::prompts::OPT_OUT,
            (ConsentMode::OptIn, true) => super::prompts::OPT_IN,
        }
    }

    /// The never_record entry that matches this call, if any.
    pub fn exempt<'a>(&'a self, numbers: &[&str], channel: &str) -> Option<&'a str> {
        self.never_record
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .find(|e| {
                numbers.iter().any(|n| !n.is_empty() && n == e)
                    || (e.contains('/') && channel.starts_with(e))
            })
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            name: String::new(),
            notice: String::new(),
            notice_to: NoticeTo::Caller,
            record_notice: true,
            consent: ConsentMode::Notify,
            beep_interval: 0,
            legs: LegsLayout::Split,
            sample_rate: 8000,
            min_duration: 0,
            consent_digit: "1".into(),
            consent_timeout: 5,
            consent_prompt: String::new(),
            declined_action: DeclinedAction::Drop,
            jurisdiction: JurisdictionMode::Off,
            retention_days: 0,
            never_record: String::new(),
            on_finish: String::new(),
            on_finish_timeout: 60,
            notify_url: String::new(),
            notify_secret: String::new(),
            notify_give_up_after: 86_400,
            start: StartMode::Always,
            mask_key: String::new(),
            pause_key: String::new(),
            record_key: String::new(),
        }
    }
}

/// The checked configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub general: General,
    pub policies: BTreeMap<String, Policy>,
    /// The shipped jurisdiction table plus `jurisdictions_file`.
    pub jurisdictions: std::sync::Arc<super::jurisdiction::Table>,
}

/// Sections of legrec.conf that belong to the tools beside the PBX
/// (`legrec ship`, `legrec serve`, `legrec anchor`): the module leaves them alone, and so no
/// policy can be named after them.
pub const TOOL_SECTIONS: [&str; 3] = ["storage", "web", "anchor"];

/// A policy name is used as a directory name: letters, digits, `-` and `_`
/// only, so no dialplan or config text can ever steer a path.
pub fn valid_policy_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Settings {
    pub fn from_raw(raw: &RawConfig) -> Result<Settings, ConfigError> {
        let mut general = General::default();
        let mut policies = BTreeMap::new();
        for section in &raw.sections {
            if TOOL_SECTIONS.contains(&section.name.as_str()) {
                continue;
            }
            let located = |e: ValueError| section.locate(e);
            if section.name == "general" {
                general = section.read()?;
                check_general(&general).map_err(|(k, m)| located(key_error(k, m)))?;
            } else {
                if !valid_policy_name(&section.name) {
                    return Err(ConfigError {
                        section: section.name.clone(),
                        key: None,
                        value: None,
                        line: section.lines.first().map_or(0, |l| l.line),
                        message:
                            "a policy name may use only letters, digits, '-' and '_' (at most 64)"
                                .into(),
                    });
                }
                let mut policy: Policy = section.read()?;
                policy.name = section.name.clone();
                policy.notice = super::prompts::resolve(&policy.notice).to_string();
                policy.consent_prompt = super::prompts::resolve(&policy.consent_prompt).to_string();
                check_policy(&policy).map_err(|(k, m)| located(key_error(k, m)))?;
                policies.insert(policy.name.clone(), policy);
            }
        }
        let mut table = super::jurisdiction::Table::builtin();
        if let Some(path) = &general.jurisdictions_file {
            let line = raw
                .sections
                .iter()
                .filter(|s| s.name == "general")
                .flat_map(|s| &s.lines)
                .find(|l| l.key == "jurisdictions_file")
                .map_or(0, |l| l.line);
            let err = |message: String| ConfigError {
                section: "general".into(),
                key: Some("jurisdictions_file".into()),
                value: Some(path.display().to_string()),
                line,
                message,
            };
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            table
                .extend(&text)
                .map_err(|e| err(format!("{} {e}", path.display())))?;
        }
        Ok(Settings {
            general,
            policies,
            jurisdictions: std::sync::Arc::new(table),
        })
    }
}

fn key_error(key: &str, message: String) -> ValueError {
    ValueError {
        key: Some(key.to_string()),
        message,
    }
}

fn check_general(g: &General) -> Result<(), (&'static str, String)> {
    if !g.spool_dir.is_absolute() {
        return Err(("spool_dir", "must be an absolute path".into()));
    }
    if g.workers == 0 || g.workers > 64 {
        return Err(("workers", "must be from 1 to 64".into()));
    }
    if g.compression_level > 8 {
        return Err(("compression_level", "must be from 0 to 8".into()));
    }
    if !(20..=10_000).contains(&g.align_slack_ms) {
        return Err(("align_slack_ms", "must be from 20 to 10000".into()));
    }
    if !(200..=30_000).contains(&g.ring_ms) {
        return Err(("ring_ms", "must be from 200 to 30000".into()));
    }
    if g.start_wait_ms > 5000 {
        return Err(("start_wait_ms", "must be from 0 to 5000".into()));
    }
    if !(1..=32).contains(&g.on_finish_jobs) {
        return Err(("on_finish_jobs", "must be from 1 to 32".into()));
    }
    Ok(())
}

fn check_policy(p: &Policy) -> Result<(), (&'static str, String)> {
    if p.sample_rate != 8000 && p.sample_rate != 16000 {
        return Err(("sample_rate", "must be 8000 or 16000".into()));
    }
    if p.beep_interval != 0 && !(5..=3600).contains(&p.beep_interval) {
        return Err((
            "beep_interval",
            "must be 0 (off) or from 5 to 3600 seconds".into(),
        ));
    }
    if p.consent_digit.len() != 1
        || !p
            .consent_digit
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#')
    {
        return Err(("consent_digit", "must be one key: 0-9, * or #".into()));
    }
    if !(1..=60).contains(&p.consent_timeout) {
        return Err(("consent_timeout", "must be from 1 to 60 seconds".into()));
    }
    if p.consent_prompt.len() > 255 || p.consent_prompt.contains(['\0', '\n', '\r', '&', '|', ','])
    {
        return Err(("consent_prompt", "must be a sound name of at most 255 characters without '&', '|', ',' or control characters".into()));
    }
    if p.retention_days > 36_500 {
        return Err(("retention_days", "must be at most 36500 days".into()));
    }
    if p.min_duration > 86_400 {
        return Err(("min_duration", "must be at most 86400 seconds".into()));
    }
    if p.notice.len() > 255 || p.notice.contains(['\0', '\n', '\r', '&', '|', ',']) {
        return Err((
            "notice",
            "must be a sound name of at most 255 characters without '&', '|', ',' or control characters".into(),
        ));
    }
    let consent_digit = (p.consent != ConsentMode::Notify)
        .then(|| p.consent_digit.chars().next())
        .flatten();
    p.keys().check(consent_digit)?;
    if p.start == StartMode::OnDemand && p.record_key.is_empty() {
        return Err((
            "start",
            "on-demand needs record_key: the key that starts and stops recording".into(),
        ));
    }
    super::notify::check(p.notify())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEYS: &[(&str, &str)] = &[
        ("general", "spool_dir"),
        ("general", "workers"),
        ("general", "compression_level"),
        ("general", "file_mode"),
        ("general", "dir_mode"),
        ("general", "align_slack_ms"),
        ("general", "ring_ms"),
        ("general", "start_wait_ms"),
        ("general", "repair_interrupted"),
        ("p", "notice"),
        ("p", "notice_to"),
        ("p", "record_notice"),
        ("p", "consent"),
        ("p", "beep_interval"),
        ("p", "legs"),
        ("p", "sample_rate"),
        ("p", "min_duration"),
        ("p", "consent_digit"),
        ("p", "consent_timeout"),
        ("p", "declined_action"),
        ("p", "jurisdiction"),
        ("p", "retention_days"),
        ("p", "never_record"),
        ("p", "no_such_key"),
    ];

    proptest! {
        /// Whatever an admin types, the parser never panics, and a refusal
        /// always names the line, the section and the key.
        #[test]
        fn any_value_is_accepted_or_refused_with_its_line(
            which in 0..KEYS.len(),
            value in prop_oneof![".{0,40}", "[0-9]{1,12}", "0[0-7]{3}", Just("yes".to_string()), Just("both".to_string())],
            line in 1u32..5000,
        ) {
            let (section, key) = KEYS[which];
            let mut raw = RawConfig::default();
            raw.set(section, key, &value, line);
            match Settings::from_raw(&raw) {
                Ok(s) => {
                    prop_assert!(key != "no_such_key");
                    if section == "p" {
                        prop_assert!(s.policies.contains_key("p"));
                    }
                }
                Err(e) => {
                    prop_assert_eq!(e.line, line);
                    prop_assert_eq!(&e.section, section);
                    prop_assert_eq!(e.key.as_deref(), Some(key));
                    let text = e.to_string();
                    prop_assert!(text.starts_with(&format!("line {line}: [{section}] {key}")), "{}", text);
                }
            }
        }
    }

    /// `[storage]` and `[web]` are for `legrec ship` and `legrec serve`:
    /// the module reads past whatever they hold, and no policy takes their
    /// name.
    #[test]
    fn tool_sections_are_left_to_the_tools() {
        let mut raw = RawConfig::default();
        raw.set("storage", "url", "s3://bucket/prefix", 3);
        raw.set("storage", "no_such_key_for_the_module", "x", 4);
        raw.set("web", "listen", "127.0.0.1:8088", 6);
        raw.set("p", "legs", "split", 8);
        let s = Settings::from_raw(&raw).expect("tool sections are accepted");
        assert_eq!(s.policies.keys().collect::<Vec<_>>(), ["p"]);
    }
}
