//! Telling other systems that a recording is final: the policy's
//! `on_finish` command (`command`) and its `notify_url` webhook
//! (`webhook`).  Started beside the recorder by whoever starts it; the
//! recorder's "finished" callback hands each final recording over, on the
//! worker thread that finished it, never on a PBX thread.

pub mod command;
pub mod webhook;

use std::io;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::policy::config::Settings;
use crate::policy::notify;
use crate::recorder::intake::recording::{Outcome, Recording};
use crate::recorder::Core;
use crate::spool::layout;

pub struct Notifier {
    settings: RwLock<Arc<Settings>>,
    commands: command::Queue,
    wake: webhook::Wake,
}

impl Notifier {
    /// A notifier whose runner threads (`on_finish_jobs` of them) and
    /// webhook courier run beside `core` and stop with it.
    pub fn start(settings: Arc<Settings>, core: &mut Core) -> io::Result<Arc<Notifier>> {
        let jobs = settings.general.on_finish_jobs;
        let n = Arc::new(Notifier {
            settings: RwLock::new(settings),
            commands: command::Queue::default(),
            wake: webhook::Wake::default(),
        });
        for i in 0..jobs {
            let me = Arc::clone(&n);
            core.run_beside(&format!("legrec-cmd{i}"), move |stop| me.commands.run(stop))?;
        }
        let me = Arc::clone(&n);
        core.run_beside("legrec-notify", move |stop| {
            webhook::run(&me.settings, &me.wake, stop)
        })?;
        Ok(n)
    }

    /// New deliveries use `settings` (secrets included); queued ones keep
    /// their URL.
    pub fn reload(&self, settings: Arc<Settings>) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// A recording is final: queue its command and its webhook.  Nothing
    /// to tell when no sidecar was written (a discarded call, or a failure
    /// that `legrec repair` will finish).
    pub fn finished(&self, rec: &Recording, outcome: &Outcome) {
        let Some(sidecar) = outcome.files.iter().find(|f| layout::is_sidecar(f)) else {
            return;
        };
        let p = &rec.policy;
        if let Some(c) = notify::command(p.notify()) {
            self.commands.push(command::Job {
                command: c,
                sidecar: sidecar.clone(),
                id: rec.id.clone(),
                policy: p.name.clone(),
                status: outcome.status.as_str().to_string(),
                timeout: Duration::from_secs(u64::from(p.on_finish_timeout)),
            });
        }
        if let Some(url) = notify::webhook(p.notify()) {
            let s = Arc::clone(&self.settings.read().unwrap_or_else(|e| e.into_inner()));
            let g = &s.general;
            let queued = webhook::enqueue(
                &rec.paths.spool,
                &rec.id,
                &p.name,
                sidecar,
                url,
                (g.dir_mode.0, g.file_mode.0),
            );
            match queued {
                Ok(()) => self.wake.notify(),
                Err(e) => log::error!(
                    "recording {}: cannot queue the webhook to {url}: {e}",
                    rec.id
                ),
            }
        }
    }
}
