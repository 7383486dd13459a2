//! `legrec ship`: passes over the spool until stopped.  A pass checks the
//! bucket, ships every finished recording not yet shipped (`concurrency`
//! at a time), and removes local copies past `keep_local_days` once their
//! objects read back intact.  While the store is down, refuses us or has
//! no bucket, passes back off (1 s doubling to 5 min) and the error is
//! logged once, not once a pass.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::stream::{self, StreamExt};
use legrec::spool::layout;

use super::recording::Ship;
use super::store::{Store, StoreError, Trouble};
use super::{local, lock, recover, state, uploads};
use crate::config::Config;
use crate::index::Index;

/// What one pass did.
#[derive(Debug, Default)]
pub struct Pass {
    pub shipped: usize,
    pub failed: Vec<String>,
    pub removed_local: usize,
    pub rechecked: Vec<String>,
    /// The anchors' tokens copied to the bucket.
    pub tokens: usize,
    /// The chains' entries copied to the bucket, and why a chain was not.
    pub chains: super::chains::Copy,
}

pub struct Options {
    pub once: bool,
    pub recheck: bool,
    /// Between passes when all went well.
    pub interval: Duration,
}

pub async fn run(config: &Config, opts: Options) -> Result<(), String> {
    let bucket = config.bucket.as_ref().ok_or(
        "no [storage] url: nothing to ship to (`legrec index` indexes the spool without one)",
    )?;
    let _lock = lock::take(&config.spool)?;
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(stop.clone());
    let store = Store::connect(bucket);
    let index = open_index(config, &opts, &stop).await?;
    let chained = recover::chained(&config.spool);
    let ship = Ship {
        spool: &config.spool,
        store: &store,
        index: &index,
        pbx: &config.pbx_name,
        part_size: config.multipart_bytes,
    };
    let mut kept = Kept::default();
    let mut chain_trouble: Vec<String> = Vec::new();
    let mut backoff = Backoff::default();
    let mut last_trouble: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        let result = pass(&ship, config, &opts, &chained, &mut kept, &stop).await;
        let wait = match result {
            Ok(p) => {
                if last_trouble.take().is_some() {
                    log::info!("s3://{}: the store answers again", store.bucket);
                }
                backoff = Backoff::default();
                report(&p);
                // Said once, like a store that is down: a chain left
                // uncopied stays so until an admin looks.
                if p.chains.trouble != chain_trouble {
                    for t in &p.chains.trouble {
                        log::error!("{t}");
                    }
                    chain_trouble = p.chains.trouble.clone();
                }
                if opts.once {
                    return match (p.failed.len(), p.chains.trouble.len()) {
                        (0, 0) => Ok(()),
                        (0, n) => Err(format!("{n} chain(s) not copied")),
                        (n, _) => Err(format!("{n} recording(s) not shipped")),
                    };
                }
                opts.interval
            }
            Err(e) => {
                // Said once: a store down for a night must not fill the log.
                if last_trouble.as_deref() != Some(e.message.as_str()) {
                    log::error!(
                        "{}; shipping waits and retries (nothing is removed)",
                        e.advice()
                    );
                    last_trouble = Some(e.message.clone());
                }
                if opts.once {
                    return Err(e.advice());
                }
                backoff.next()
            }
        };
        sleep_unless_stopped(wait, &stop).await;
    }
    log::info!("stopped");
    Ok(())
}

async fn open_index(config: &Config, opts: &Options, stop: &AtomicBool) -> Result<Index, String> {
    let mut backoff = Backoff::default();
    loop {
        match Index::open(&config.index).await {
            Ok(i) => return Ok(i),
            Err(e) if opts.once || stop.load(Ordering::Relaxed) => return Err(e),
            Err(e) => {
                log::error!("{e}; retrying");
                sleep_unless_stopped(backoff.next(), stop).await;
            }
        }
    }
}

fn report(p: &Pass) {
    for f in &p.failed {
        log::error!("{f}");
    }
    if p.shipped + p.removed_local + p.rechecked.len() + p.tokens + p.chains.entries > 0
        || !p.failed.is_empty()
    {
        log::info!(
            "shipped {} recording(s), {} not, {} local cop(ies) removed, {} object(s) put again, {} anchor token(s) copied, {} chain entr(ies) copied",
            p.shipped,
            p.failed.len(),
            p.removed_local,
            p.rechecked.len(),
            p.tokens,
            p.chains.entries
        );
    }
}

/// What one pass leaves the next.
#[derive(Default)]
struct Kept {
    /// Recordings shipped and chained: not looked at again.
    done: HashSet<String>,
    /// When each chain was last copied.
    due: super::chains::Due,
    /// Uploads left unfinished by an earlier run were aborted.
    cleaned: bool,
}

async fn pass(
    ship: &Ship<'_>,
    config: &Config,
    opts: &Options,
    chained: &HashSet<String>,
    kept: &mut Kept,
    stop: &AtomicBool,
) -> Result<Pass, StoreError> {
    ship.store.check().await?;
    if !kept.cleaned {
        let n = uploads::clean(ship.store, ship.spool).await?;
        if n > 0 {
            log::info!("aborted {n} upload(s) in parts left unfinished");
        }
        kept.cleaned = true;
    }
    let mut p = Pass::default();
    let todo: Vec<PathBuf> = layout::sidecars(ship.spool)
        .into_iter()
        .filter(|s| !kept.done.contains(&id_of(s)))
        .collect();
    // Chained in batches of whatever finished meanwhile: one sync of the
    // chain for many recordings.
    let mut finished = stream::iter(todo)
        .map(|sidecar| async move {
            if stop.load(Ordering::Relaxed) {
                return (sidecar, Ok(None));
            }
            let r = ship.recording(&sidecar, chained).await;
            (sidecar, r)
        })
        .buffer_unordered(config.concurrency)
        .ready_chunks(256);
    let mut down = None;
    while let Some(chunk) = finished.next().await {
        let mut batch = Vec::new();
        for (sidecar, r) in chunk {
            match r {
                Ok(Some(v)) => batch.push(v),
                Ok(None) => {
                    if state::read(ship.spool, &id_of(&sidecar)).is_some_and(|s| s.audited) {
                        kept.done.insert(id_of(&sidecar));
                    }
                }
                Err(e)
                    if matches!(
                        e.trouble,
                        Trouble::Down | Trouble::Denied | Trouble::NoBucket
                    ) =>
                {
                    down = Some(e)
                }
                Err(e) => p.failed.push(format!("{}: {e}", sidecar.display())),
            }
        }
        let ids: Vec<String> = batch.iter().map(|v| v.id.clone()).collect();
        if !batch.is_empty() {
            p.shipped += ship.chain(batch)?;
            kept.done.extend(ids);
        }
    }
    if let Some(e) = down {
        return Err(e);
    }
    p.tokens = super::anchors::ship(ship.spool, ship.store, ship.pbx).await?;
    if opts.recheck {
        for sidecar in layout::sidecars(ship.spool) {
            p.rechecked.extend(ship.recheck(&sidecar).await?);
        }
    }
    if let Some(days) = config.keep_local_days {
        p.removed_local = local::remove_expired(ship, days, SystemTime::now()).await?;
    }
    // Last: what this pass chained (shipped, removed-local) goes too.
    p.chains =
        super::chains::ship(ship.spool, ship.store, ship.pbx, opts.once, &mut kept.due).await?;
    Ok(p)
}

fn id_of(sidecar: &Path) -> String {
    layout::RecordingPaths::of_file(sidecar)
        .map(|r| r.id)
        .unwrap_or_default()
}

/// 1 s, 2 s, 4 s ... 5 min.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    fn next(&mut self) -> Duration {
        let d = Duration::from_secs(1u64 << self.0.min(9)).min(Duration::from_secs(300));
        self.0 += 1;
        d
    }
}

async fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let until = tokio::time::Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && tokio::time::Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100).min(d)).await;
    }
}

/// SIGTERM (systemd) and SIGINT stop the run after the uploads under way.
fn watch_signals(stop: Arc<AtomicBool>) {
    use tokio::signal::unix::{signal, SignalKind};
    for kind in [SignalKind::terminate(), SignalKind::interrupt()] {
        let stop = stop.clone();
        if let Ok(mut s) = signal(kind) {
            tokio::spawn(async move {
                s.recv().await;
                log::info!("stopping after the uploads under way");
                stop.store(true, Ordering::Relaxed);
            });
        }
    }
}
