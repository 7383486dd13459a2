//! legrec-fleet: the `legrec ship`, `legrec index` and `legrec search`
//! commands (`legrec` runs this program for them).

use std::process::ExitCode;

use legrec_fleet::cli::{self, Args};

const USAGE: &str = "usage:
  legrec ship [--config FILE] [--once] [--recheck] [--interval 10s]
                                 ship finished recordings to [storage] url,
                                 verify them there, index them; --once ships
                                 what is finished and exits; --recheck reads
                                 back every shipped object still kept here
  legrec index [rebuild [--from-bucket]] [--config FILE]
                                 bring the index up to date with the spool;
                                 rebuild: forget and read again (from the
                                 sidecars in the bucket with --from-bucket)
  legrec search [--config FILE] [--caller N] [--callee N] [--queue Q]
                [--agent A] [--pbx P] [--from T] [--to T] [--status S]
                [--consent D] [--min-duration S] [--max-duration S]
                [--sort started|duration|caller|queue] [--asc]
                [--limit N] [--offset N] [--json]
                                 recordings from the index, newest first
  legrec prune --config FILE [--now RFC3339]
                                 (with [storage] url) delete recordings past
                                 their retention_days from the bucket, the
                                 spool and the index, noted in the chain
  legrec erase ID...|--number N --reason TEXT --config FILE
                                 (with [storage] url) erase recordings'
                                 audio from the bucket, the spool and the
                                 index, the scrubbed sidecar kept and a
                                 tombstone chained; refused under a legal
                                 hold; finishes erasures cut short first
  legrec subject export --number N -o FILE --config FILE
                                 (with [storage] url) every recording where
                                 N took part, as evidence bundles plus
                                 index.json; those the spool no longer
                                 holds fetched from the bucket
  legrec verify PATH --config FILE
                                 (with [storage] url) legrec verify, then the
                                 anchors' tokens the shipper copied to the
                                 bucket against the spool's chain
  legrec serve [--config FILE] [--listen ADDR]
                                 the recording browser ([web] in FILE;
                                 default 127.0.0.1:8088)
  legrec user add NAME --role admin|supervisor|agent|auditor
                [--queues Q,...] [--agent NAME] --password-file F
                [--config FILE]
  legrec user del NAME | legrec user list [--config FILE]
                                 who may log in to the browser
  FILE defaults to /etc/asterisk/legrec.conf; T is 2026-12-01 or RFC 3339";

const FLAGS: &[&str] = &["once", "recheck", "from-bucket", "json", "asc"];

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match Args::parse(&argv, FLAGS) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("legrec: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // To stderr, which systemd's journal keeps; RUST_LOG=debug for more.
    // sqlx would log PostgreSQL's notices ("relation already exists,
    // skipping" at every start) and each slow statement as info.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,sqlx=warn"))
        .format_target(false)
        .init();
    let Some(command) = args.words.first().cloned() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("legrec {command}: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match command.as_str() {
            "ship" => cli::ship::run(&args).await,
            "index" => cli::index::run(&args).await,
            "search" => cli::search::run(&args).await,
            "prune" => cli::prune::run(&args).await,
            "erase" => cli::erase::run(&args).await,
            "subject" => cli::subject::run(&args).await,
            "verify" => cli::verify::run(&args).await,
            "serve" => cli::serve::run(&args).await,
            "user" => cli::user::run(&args).await,
            _ => Err(format!("unknown command '{command}'\n{USAGE}")),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("legrec {command}: {e}");
            ExitCode::from(1)
        }
    }
}
