//! `legrec search`: recordings from the index, by caller, callee, queue,
//! agent, PBX, time and status; a table, or JSON for scripts.

use super::{moment, Args};
use crate::index::{Index, Query, Sort, Summary};

const OPTIONS: &[&str] = &[
    "config",
    "caller",
    "callee",
    "queue",
    "agent",
    "pbx",
    "from",
    "to",
    "status",
    "consent",
    "min-duration",
    "max-duration",
    "sort",
    "limit",
    "offset",
];

pub async fn run(args: &Args) -> Result<(), String> {
    args.only(OPTIONS)?;
    let config = args.config()?;
    let text = |k: &str| args.get(k).map(str::to_string);
    let number = |k: &str| -> Result<Option<f64>, String> {
        args.get(k)
            .map(|v| v.parse().map_err(|_| format!("--{k} {v}: not a number")))
            .transpose()
    };
    let query = Query {
        caller: text("caller"),
        callee: text("callee"),
        queue: text("queue"),
        agent: text("agent"),
        pbx: text("pbx"),
        status: text("status"),
        consent: text("consent"),
        from_ms: args.get("from").map(moment).transpose()?,
        to_ms: args.get("to").map(moment).transpose()?,
        min_duration: number("min-duration")?,
        max_duration: number("max-duration")?,
        sort: match args.get("sort") {
            None => Sort::Started,
            Some(s) => Sort::parse(s)
                .ok_or_else(|| format!("--sort {s}: one of started, duration, caller, queue"))?,
        },
        descending: !args.flag("asc"),
        limit: args
            .get("limit")
            .map(|v| v.parse().map_err(|_| format!("--limit {v}: not a number")))
            .transpose()?
            .unwrap_or(100),
        offset: args
            .get("offset")
            .map(|v| v.parse().map_err(|_| format!("--offset {v}: not a number")))
            .transpose()?
            .unwrap_or(0),
        ..Default::default()
    };
    let index = Index::open(&config.index).await?;
    let found = index.search(&query).await?;
    if args.flag("json") {
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
