//! `legrec search`: recordings from the index, by caller, callee, queue,
//! agent, PBX, time and status; a table, or JSON for scripts.

use legrec_cli::Search;

use crate::index::{Index, Query, Sort, Summary};
use crate::moment;

pub async fn run(args: Search) -> Result<(), String> {
    let config = super::config(args.config.as_deref())?;
    let query = Query {
        from_ms: args.from.as_deref().map(moment::parse).transpose()?,
        to_ms: args.to.as_deref().map(moment::parse).transpose()?,
        caller: args.caller,
        callee: args.callee,
        queue: args.queue,
        agent: args.agent,
        pbx: args.pbx,
        status: args.status,
        consent: args.consent,
        min_duration: args.min_duration,
        max_duration: args.max_duration,
        // clap allows only the names Sort knows.
        sort: Sort::parse(&args.sort).unwrap_or(Sort::Started),
        descending: !args.asc,
        limit: args.limit,
        offset: args.offset,
        ..Default::default()
    };
    let index = Index::open(&config.index).await?;
    let found = index.search(&query).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&found).expect("results serialize")
        );
    } else {
        print_table(&found);
    }
    Ok(())
}

fn print_table(found: &[Summary]) {
    println!(
        "{:<30} {:<10} {:<20} {:>8}  {:<14} {:<10} {:<10} {:<12} STATUS",
        "ID", "PBX", "STARTED", "SECONDS", "CALLER", "CALLEE", "QUEUE", "AGENT"
    );
    for r in found {
        println!(
            "{:<30} {:<10} {:<20} {:>8.1}  {:<14} {:<10} {:<10} {:<12} {}",
            r.id,
            r.pbx,
            r.started_at.get(..19).unwrap_or(&r.started_at),
            r.duration,
            r.caller,
            r.callee,
            r.queue,
            r.agent.as_deref().unwrap_or("-"),
            r.status
        );
    }
    println!("{} recording(s)", found.len());
}
