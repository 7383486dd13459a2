//! legrec-fleet: the `legrec ship`, `index`, `search`, `serve` and `user`
//! commands, and `prune`, `erase`, `subject export` and `verify` where
//! legrec.conf names a bucket (`legrec` runs this program for them).  The command line is legrec-cli's, shared with `legrec`.

use std::process::ExitCode;

use legrec_cli::clap::FromArgMatches;
use legrec_cli::{Command, Legrec};
use legrec_fleet::cli;

fn main() -> ExitCode {
    let command = match legrec_cli::command(legrec::VERSION)
        .try_get_matches()
        .and_then(|m| Legrec::from_arg_matches(&m))
    {
        Ok(l) => l.command,
        // --help and --version are "errors" that exit 0.
        Err(e) => e.exit(),
    };
    // To stderr, which systemd's journal keeps; RUST_LOG=debug for more.
    // sqlx would log PostgreSQL's notices ("relation already exists,
    // skipping" at every start) and each slow statement as info.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,sqlx=warn"))
        .format_target(false)
        .init();
    let name = match &command {
        Command::Ship(_) => "ship",
        Command::Index(_) => "index",
        Command::Search(_) => "search",
        Command::Prune(_) => "prune",
        Command::Erase(_) => "erase",
        Command::Subject(_) => "subject export",
        Command::Verify(_) => "verify",
        Command::Serve(_) => "serve",
        Command::User(_) => "user",
        _ => {
            eprintln!("legrec-fleet: that is a command of the legrec program: run `legrec`");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("legrec {name}: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match command {
            Command::Ship(a) => cli::ship::run(a).await,
            Command::Index(a) => cli::index::run(a).await,
            Command::Search(a) => cli::search::run(a).await,
            Command::Prune(a) => cli::prune::run(a).await,
            Command::Erase(a) => cli::erase::run(a).await,
            Command::Subject(a) => cli::subject::run(a).await,
            Command::Verify(a) => cli::verify::run(a).await,
            Command::Serve(a) => cli::serve::run(a).await,
            Command::User(a) => cli::user::run(a).await,
            _ => unreachable!("refused above"),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("legrec {name}: {e}");
            ExitCode::from(1)
        }
    }
}
