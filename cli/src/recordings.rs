//! The commands that work on the spool's files: `legrec` runs them itself.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Where the recordings are: --spool, else the spool_dir of --config, else
/// the default spool.
#[derive(Args, Debug, Clone, Default)]
pub struct Place {
    /// The spool folder [default: /var/spool/asterisk/legrec]
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// legrec.conf, whose spool_dir is the spool (--spool wins)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct Verify {
    /// A sidecar, a FLAC file or a folder of recordings
    #[arg(required_unless_present = "bundle", conflicts_with = "bundle")]
    pub path: Option<PathBuf>,
    /// Check this evidence bundle instead, on its own
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// legrec.conf: its [anchor] tsa_ca checks the anchors, and its
    /// [anchor] interval says how often they are required
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["tsa_ca", "bundle"]
    )]
    pub config: Option<PathBuf>,
    /// The TSA's CA certificate (PEM) to check the anchors against
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct Evidence {
    /// The recording's id
    pub id: String,
    /// The tar to write
    #[arg(short = 'o', value_name = "FILE")]
    pub out: PathBuf,
    /// The spool folder [default: /var/spool/asterisk/legrec]
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub spool: Option<PathBuf>,
    /// legrec.conf: its spool_dir, and the CA of its [anchor] tsa_ca
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct Hold {
    #[command(subcommand)]
    pub command: HoldCommand,
}

#[derive(Subcommand, Debug)]
pub enum HoldCommand {
    /// Place a hold on recordings by id, or on every one of a caller or a queue (within --from/--to)
    Add {
        /// Recording ids
        ids: Vec<String>,
        /// Every recording of this caller number
        #[arg(long, value_name = "N")]
        caller: Option<String>,
        /// Every recording of this queue
        #[arg(long, value_name = "Q")]
        queue: Option<String>,
        /// Only recordings from this moment (2026-12-01 or RFC 3339)
        #[arg(long, value_name = "T")]
        from: Option<String>,
        /// Only recordings until this moment
        #[arg(long, value_name = "T")]
        to: Option<String>,
        /// Why: chained with the hold
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        place: Place,
    },
    /// Release a hold by its name
    Release {
        /// The hold's name, as `legrec hold list` shows it
        hold: String,
        /// Why: chained with the release
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        place: Place,
    },
    /// The holds in force
    List {
        #[command(flatten)]
        place: Place,
    },
}

#[derive(Args, Debug)]
pub struct Erase {
    /// Recording ids
    pub ids: Vec<String>,
    /// Every recording where this number took part
    #[arg(long, value_name = "N")]
    pub number: Option<String>,
    /// Why: chained with the tombstone (with a [storage] url and nothing
    /// named, erasures cut short are finished, with their own reasons)
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub place: Place,
}

#[derive(Args, Debug)]
pub struct Subject {
    #[command(subcommand)]
    pub command: SubjectCommand,
}

#[derive(Subcommand, Debug)]
pub enum SubjectCommand {
    /// Every recording where a number took part, as evidence bundles plus index.json, in one tar
    Export {
        /// The subject's number
        #[arg(long, value_name = "N")]
        number: String,
        /// The tar to write
        #[arg(short = 'o', value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        place: Place,
    },
}

#[derive(Args, Debug)]
pub struct Anchor {
    /// legrec.conf with an [anchor] section
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Anchor now if due, then exit
    #[arg(long)]
    pub once: bool,
}

#[derive(Args, Debug)]
pub struct Repair {
    /// A FLAC file, a recording's .inprogress.json marker, or a folder
    pub path: PathBuf,
}

#[derive(Args, Debug)]
pub struct Info {
    /// A recording's id, or its sidecar or FLAC file
    #[arg(value_name = "ID|FILE")]
    pub what: String,
    /// The spool folder, to find an id in
    #[arg(long, value_name = "DIR", default_value = crate::DEFAULT_SPOOL)]
    pub spool: PathBuf,
}

#[derive(Args, Debug)]
pub struct Prune {
    /// The spool folder
    #[arg(required_unless_present = "config", conflicts_with = "config")]
    pub spool: Option<PathBuf>,
    /// legrec.conf: its spool_dir, and its [storage] url if it ships
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Prune as if it were this moment (RFC 3339)
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}
