//! The command lines of `legrec` and `legrec-fleet`, as clap definitions:
//! both programs parse with them (`legrec` runs `legrec-fleet` for the
//! tools beside the PBX), `--help` on every command comes from them, and
//! so does the man page (`legrec man-page`, run by scripts/make-deb).
//! Definitions only: what each command does is in the programs.

pub mod fleet;
pub mod man;
pub mod recordings;

use clap::{Parser, Subcommand};

pub use fleet::{Index, IndexWhat, Search, Serve, Ship, User, UserCommand};
pub use recordings::{
    Anchor, Erase, Evidence, Hold, HoldCommand, Info, Place, Prune, Repair, Subject,
    SubjectCommand, Verify,
};

/// The spool when neither --spool nor --config names one.
pub const DEFAULT_SPOOL: &str = "/var/spool/asterisk/legrec";
/// legrec.conf when --config is not given (the fleet's commands).
pub const DEFAULT_CONFIG: &str = "/etc/asterisk/legrec.conf";

/// Check, repair, describe, export and prune call recordings made by
/// app_legrec and mod_legrec; ship, index, search and browse them.
///
/// The legrec module records each call it is asked to into one FLAC file
/// per leg: what the caller says (ID-in.flac) and what the caller hears
/// (ID-out.flac), sample-aligned, and optionally a stereo file, under
/// spool_dir/policy/YYYY-MM-DD/. Beside them a JSON sidecar (ID.json) says
/// who, when, which notice was played to whom, the consent decision, what
/// was masked or paused, and the SHA-256 of every file. Every finished
/// recording, repair and deletion is appended to a hash-chained audit log
/// in the spool. legrec works on these files; it never needs the PBX to be
/// running. ship, index, search, serve and user are the tools beside the
/// PBX (the legrec-fleet package), which legrec runs for them.
#[derive(Parser, Debug)]
#[command(
    name = "legrec",
    arg_required_else_help = true,
    after_help = "`legrec COMMAND --help` says more about each command (`legrec ship --help`, ...).",
    after_long_help = concat!(
        "`legrec COMMAND --help` says more about each command (`legrec ship --help`, ...).\n\n",
        "Files: /etc/asterisk/legrec.conf (the policies and spool_dir; a sample in ",
        "/usr/share/doc/legrec/examples/); /var/spool/asterisk/legrec (the default spool).\n\n",
        "Exit status: 0 on success, 1 when a check or a repair failed, 2 for a usage or ",
        "configuration error."
    )
)]
pub struct Legrec {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check recordings against their sidecars, the audit chain and its anchors
    ///
    /// Every FLAC file decodes, its STREAMINFO MD5, sample count and
    /// SHA-256 match the sidecar, and the audit chain is whole; exits 1
    /// naming the file that fails. The chain's RFC 3161 anchors are checked
    /// too: each token's signature and certificate chain against [anchor]
    /// tsa_ca of --config (or --tsa-ca), that it stamps the hash its entry
    /// has now, and, with [anchor], that no stretch of the chain went
    /// unanchored; with a [storage] url in --config, the tokens and the
    /// copy of the chains the shipper put in the bucket are checked against
    /// the chain too, naming the first entry rewritten or cut. With
    /// --bundle: an evidence bundle made by `legrec evidence`, on its own
    /// (no spool, no database).
    Verify(Verify),
    /// One tar a third party can check: a recording's files, chain segment, anchor token, the TSA's CA
    ///
    /// The recording's FLAC files and sidecar, its chain entries up to the
    /// first anchor after it, that anchor's token, the TSA's CA and
    /// VERIFY.txt, which says how to check it with sha256sum and openssl
    /// ts alone. The export is chained in the access trail.
    Evidence(Evidence),
    /// Legal holds: a held recording survives prune, the shipper's keep_local_days and erasure
    ///
    /// Placed and released in the audit chain with the Unix user and the
    /// reason.
    Hold(Hold),
    /// Erase a recording's audio (or every one where a number took part)
    ///
    /// A tombstone in the chain, the sidecar's personal fields replaced;
    /// refused under a legal hold. With a [storage] url in --config,
    /// shipped recordings are erased from the bucket and the index too, and
    /// erasures cut short are finished first.
    Erase(Erase),
    /// A data subject's recordings
    ///
    /// `legrec subject export`: every recording where a number took part,
    /// as evidence bundles plus index.json, in one tar; with a [storage]
    /// url in --config, also those only in the bucket (fetched; index.json
    /// says from where).
    Subject(Subject),
    /// Have the TSA of [anchor] time-stamp the audit chain's head
    ///
    /// Whenever the chain grew (every [anchor] interval, and daily), keeping
    /// each token in spool_dir/.anchors/. --once anchors now if due and
    /// exits.
    Anchor(Anchor),
    /// Repair what a crash left: a cut FLAC file, a recording, a folder
    ///
    /// A FLAC file cut at any byte (every decodable frame kept, STREAMINFO
    /// rewritten), a whole recording given its .inprogress.json marker
    /// (every leg repaired, the sidecar written with status
    /// "interrupted"), or every interrupted recording under a folder. A
    /// recording another running PBX is still writing is skipped. The
    /// module does the same by itself at load unless repair_interrupted =
    /// no.
    Repair(Repair),
    /// Describe a recording in words: parties, policy, notice, consent, masks, pauses, files
    Info(Info),
    /// Delete recordings past their policy's retention_days
    ///
    /// Each deletion's intent is chained before it and its outcome after,
    /// so the chain stays whole; an intent left by a prune that was killed
    /// is carried out by the next. With --config the spool is the
    /// spool_dir of that legrec.conf, checked as the PBX checks it; with a
    /// [storage] url there, shipped recordings are deleted from the bucket
    /// and the index too (by legrec-fleet). The Debian package runs `legrec
    /// prune --config /etc/asterisk/legrec.conf` daily from
    /// legrec-prune.timer.
    Prune(Prune),
    /// Ship finished recordings to [storage] url, verify them there, index them
    ///
    /// Every object is read back and checked against the recording's
    /// SHA-256, indexed, and noted in the audit chain. The anchors' tokens
    /// and what the audit chain and the access trail gained (a segment at
    /// most every ten minutes, every pass with --once) go to the bucket
    /// too, under <prefix>/.anchors/<pbx_name>/ and <prefix>/.chains/<pbx_name>/.
    Ship(Ship),
    /// Bring the index up to date with this PBX's spool
    Index(Index),
    /// Recordings from the index, newest first
    Search(Search),
    /// The recording browser ([web] in legrec.conf; default 127.0.0.1:8088)
    Serve(Serve),
    /// Who may log in to the recording browser
    User(User),
    /// Print this program's man page (roff), as the Debian package installs it
    #[command(hide = true)]
    ManPage,
}

impl Command {
    /// Is this one of legrec-fleet's commands (the tools beside the PBX,
    /// kept apart so the PBX's module never carries their libraries)?
    pub fn is_fleets(&self) -> bool {
        matches!(
            self,
            Command::Ship(_)
                | Command::Index(_)
                | Command::Search(_)
                | Command::Serve(_)
                | Command::User(_)
        )
    }
}

pub use clap;

/// The `legrec` command tree, with the version of the programs that use it.
pub fn command(version: &'static str) -> clap::Command {
    <Legrec as clap::CommandFactory>::command()
        .version(version)
        // legrec-fleet too is run as `legrec COMMAND`.
        .bin_name("legrec")
}
