//! The tools beside the PBX (the legrec-fleet program, which `legrec`
//! runs for them): every one reads legrec.conf, by default
//! /etc/asterisk/legrec.conf.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

#[derive(Args, Debug)]
pub struct Ship {
    /// legrec.conf [default: /etc/asterisk/legrec.conf]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ship what is finished, then exit
    #[arg(long)]
    pub once: bool,
    /// Read back every shipped object still kept here
    #[arg(long)]
    pub recheck: bool,
    /// How long to wait between looks at the spool
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub interval: String,
}

#[derive(Args, Debug)]
pub struct Index {
    /// rebuild: forget this PBX's rows and read them again
    pub what: Option<IndexWhat>,
    /// With rebuild: read the sidecars shipped to the bucket, not the spool
    #[arg(long, requires = "what")]
    pub from_bucket: bool,
    /// legrec.conf [default: /etc/asterisk/legrec.conf]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexWhat {
    /// Forget this PBX's rows first, then read them again
    Rebuild,
}

#[derive(Args, Debug)]
pub struct Search {
    /// legrec.conf [default: /etc/asterisk/legrec.conf]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The caller's number
    #[arg(long, value_name = "N")]
    pub caller: Option<String>,
    /// The number called
    #[arg(long, value_name = "N")]
    pub callee: Option<String>,
    /// The queue
    #[arg(long, value_name = "Q")]
    pub queue: Option<String>,
    /// The agent
    #[arg(long, value_name = "A")]
    pub agent: Option<String>,
    /// The PBX (pbx_name)
    #[arg(long, value_name = "P")]
    pub pbx: Option<String>,
    /// Started at or after (2026-12-01 or RFC 3339)
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// Started before (2026-12-01 or RFC 3339)
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// The recording's status (complete, interrupted, ...)
    #[arg(long, value_name = "S")]
    pub status: Option<String>,
    /// The consent decision
    #[arg(long, value_name = "D")]
    pub consent: Option<String>,
    /// At least this many seconds long
    #[arg(long, value_name = "SECONDS")]
    pub min_duration: Option<f64>,
    /// At most this many seconds long
    #[arg(long, value_name = "SECONDS")]
    pub max_duration: Option<f64>,
    /// Order by
    #[arg(long, value_name = "BY", default_value = "started",
          value_parser = ["started", "duration", "caller", "queue"])]
    pub sort: String,
    /// Ascending (the default is newest, longest, ... first)
    #[arg(long)]
    pub asc: bool,
    /// At most this many
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: u32,
    /// Skip this many
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u64,
    /// JSON, for scripts
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct Serve {
    /// legrec.conf, with [web] [default: /etc/asterisk/legrec.conf]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen here instead of [web] listen (127.0.0.1:8088 by default)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

#[derive(Args, Debug)]
pub struct User {
    #[command(subcommand)]
    pub command: UserCommand,
    /// legrec.conf, whose [web] accounts holds the users [default: /etc/asterisk/legrec.conf]
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user who may log in to the browser
    Add {
        /// Letters, digits and ._@-, at most 64
        name: String,
        /// admin, supervisor, agent or auditor
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// A supervisor's queues
        #[arg(long, value_name = "Q,...")]
        queues: Option<String>,
        /// An agent's name as the recordings give it (default: the user's name)
        #[arg(long, value_name = "NAME")]
        agent: Option<String>,
        /// Only these PBXs' recordings
        #[arg(long, value_name = "P,...")]
        pbx: Option<String>,
        /// A file whose one line is the password (never an argument: ps shows those)
        #[arg(long, value_name = "F")]
        password_file: Option<PathBuf>,
    },
    /// Delete a user and their sessions
    Del { name: String },
    /// The users and what each may see
    List,
}
