//! `notify_url`: POST each final sidecar to a webhook, signed, until the
//! receiver accepts it.
//!
//! Deliveries wait on disk in the spool (`spool::layout::deliveries`), so a
//! PBX restart loses none; one courier thread sends them, so an unreachable
//! receiver costs the recorder nothing.  The body is the sidecar file's
//! exact bytes; `X-Legrec-Signature: sha256=<hex>` is their HMAC-SHA256
//! under the policy's `notify_secret`, and `Idempotency-Key` is the
//! recording id, the same on every attempt, so a receiver that saw a
//! delivery whose answer was lost can tell.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::policy::config::Settings;
use crate::spool::files::{create_dirs, write_atomic};
use crate::spool::layout;

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// A webhook not yet delivered, as kept on disk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub policy: String,
    pub sidecar: PathBuf,
    pub url: String,
    pub queued_at: String,
    pub attempts: u32,
    pub next_at: String,
    #[serde(default)]
    pub last_error: String,
}

/// `sha256=<hex>` of `body` keyed with `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", crate::hex(&mac.finalize().into_bytes()))
}

/// The wait before attempt `n + 1` after `n` failures: 1 s, 2 s, 4 s ...
/// up to five minutes, less up to a quarter at random so that many PBXs
/// do not retry in step.
pub fn backoff(failures: u32) -> Duration {
    let full = Duration::from_secs(1u64 << failures.min(16).saturating_sub(1)).min(MAX_BACKOFF);
    let mut r = [0u8; 1];
    let _ = getrandom::getrandom(&mut r);
    full - full.mul_f64(f64::from(r[0]) / 1024.0)
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn parse_time(s: &str) -> SystemTime {
    humantime::parse_rfc3339(s).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Queue the webhook for a final recording; the courier is woken by the
/// caller.
pub fn enqueue(
    spool: &Path,
    id: &str,
    policy: &str,
    sidecar: &Path,
    url: &str,
    (dir_mode, file_mode): (u32, u32),
) -> std::io::Result<()> {
    create_dirs(&layout::notify_queue(spool), dir_mode)?;
    let now = rfc3339(SystemTime::now());
    let d = Delivery {
        id: id.into(),
        policy: policy.into(),
        sidecar: sidecar.into(),
        url: url.into(),
        queued_at: now.clone(),
        attempts: 0,
        next_at: now,
        last_error: String::new(),
    };
    let json = serde_json::to_vec_pretty(&d).expect("delivery serializes");
    write_atomic(&layout::delivery(spool, id), &json, file_mode)
}

/// Wakes the courier when something is queued.
#[derive(Default)]
pub struct Wake {
    queued: Mutex<bool>,
    cv: Condvar,
}

impl Wake {
    pub fn notify(&self) {
        *self.queued.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }

    fn wait(&self, at_most: Duration) {
        let queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        let (mut queued, _) = self
            .cv
            .wait_timeout_while(queued, at_most, |q| !*q)
            .unwrap_or_else(|e| e.into_inner());
        *queued = false;
    }
}

/// How one attempt went.
enum Attempt {
    Delivered(u16),
    /// Worth trying again (5xx, 408, 429, refused, timed out, TLS).
    Retry(String),
    /// The receiver will never take it (another 4xx, a redirect).
    Refused(String),
}

fn post(agent: &ureq::Agent, d: &Delivery, secret: &[u8], body: &[u8]) -> Attempt {
    let sent = agent
        .post(&d.url)
        .set("Content-Type", "application/json")
        .set("X-Legrec-Signature", &signature(secret, body))
        .set("X-Legrec-Id", &d.id)
        .set("Idempotency-Key", &d.id)
        .send_bytes(body);
    match sent {
        Ok(r) if (200..300).contains(&r.status()) => Attempt::Delivered(r.status()),
        Ok(r) => Attempt::Refused(format!("answered {} {}", r.status(), r.status_text())),
        Err(ureq::Error::Status(code, r)) if code >= 500 || code == 408 || code == 429 => {
            Attempt::Retry(format!("answered {code} {}", r.status_text()))
        }
        Err(ureq::Error::Status(code, r)) => {
            Attempt::Refused(format!("answered {code} {}", r.status_text()))
        }
        Err(ureq::Error::Transport(t)) => Attempt::Retry(t.to_string()),
    }
}

/// The courier: sends what is due, sleeps until the next is, until `stop`.
pub fn run(settings: &RwLock<Arc<Settings>>, wake: &Wake, stop: &AtomicBool) {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirects(0)
        .user_agent(&format!("legrec/{}", crate::VERSION))
        .build();
    while !stop.load(Ordering::Acquire) {
        let s = Arc::clone(&settings.read().unwrap_or_else(|e| e.into_inner()));
        let mut next = SystemTime::now() + Duration::from_secs(1);
        for path in layout::deliveries(&s.general.spool_dir) {
            if stop.load(Ordering::Acquire) {
                return;
            }
            if let Some(at) = attempt_due(&agent, &s, &path) {
                next = next.min(at);
            }
        }
        let wait = next
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .min(Duration::from_secs(1));
        wake.wait(wait);
    }
}

/// Try `path` if it is due; when it stays queued, when it is due next.
fn attempt_due(agent: &ureq::Agent, s: &Settings, path: &Path) -> Option<SystemTime> {
    let text = std::fs::read(path).ok()?;
    let Ok(mut d) = serde_json::from_slice::<Delivery>(&text) else {
        log::error!(
            "webhook queue: {} is not a delivery; set aside",
            path.display()
        );
        give_up(s, path);
        return None;
    };
    let now = SystemTime::now();
    let due = parse_time(&d.next_at);
    if due > now {
        return Some(due);
    }
    let policy = s.policies.get(&d.policy);
    let give_up_after = policy.map_or(86_400, |p| p.notify_give_up_after);
    let secret = policy
        .map(|p| p.notify_secret.as_bytes())
        .unwrap_or_default();
    let outcome = match std::fs::read(&d.sidecar) {
        Err(e) => Attempt::Refused(format!(
            "cannot read the sidecar {}: {e}",
            d.sidecar.display()
        )),
        Ok(_) if secret.is_empty() => Attempt::Retry(format!(
            "policy {} has no notify_secret now (configuration reloaded?)",
            d.policy
        )),
        Ok(body) => post(agent, &d, secret, &body),
    };
    d.attempts += 1;
    match outcome {
        Attempt::Delivered(code) => {
            log::info!(
                "webhook for recording {} delivered to {} ({code}, attempt {})",
                d.id,
                d.url,
                d.attempts
            );
            let _ = std::fs::remove_file(path);
            None
        }
        Attempt::Refused(why) => {
            log::error!(
                "webhook for recording {} to {} given up: {why}",
                d.id,
                d.url
            );
            give_up(s, path);
            None
        }
        Attempt::Retry(why) => {
            let queued = parse_time(&d.queued_at);
            let age = now.duration_since(queued).unwrap_or_default();
            if age >= Duration::from_secs(u64::from(give_up_after)) {
                log::error!(
                    "webhook for recording {} to {} given up after {} attempts in {} s (notify_give_up_after): {why}",
                    d.id, d.url, d.attempts, age.as_secs()
                );
                give_up(s, path);
                return None;
            }
            if d.attempts == 1 {
                log::warn!(
                    "webhook for recording {} to {} failed ({why}); retrying with backoff",
                    d.id,
                    d.url
                );
            } else {
                log::debug!(
                    "webhook for recording {}: attempt {} failed: {why}",
                    d.id,
                    d.attempts
                );
            }
            let at = now + backoff(d.attempts);
            d.next_at = rfc3339(at);
            d.last_error = why;
            let json = serde_json::to_vec_pretty(&d).expect("delivery serializes");
            if let Err(e) = write_atomic(path, &json, s.general.file_mode.0) {
                log::error!("webhook queue: cannot update {}: {e}", path.display());
            }
            Some(at)
        }
    }
}

/// Move a delivery out of the queue into `given-up/`, for the admin.
fn give_up(s: &Settings, path: &Path) {
    let dir = layout::given_up(&s.general.spool_dir);
    let moved = create_dirs(&dir, s.general.dir_mode.0)
        .and_then(|()| std::fs::rename(path, dir.join(path.file_name().unwrap_or_default())));
    if let Err(e) = moved {
        log::error!("webhook queue: cannot move {} aside: {e}", path.display());
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes_with_jitter() {
        for (n, full) in [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (40, 300)] {
            let b = backoff(n);
            let full = Duration::from_secs(full);
            assert!(b <= full && b >= full.mul_f64(0.74), "{n}: {b:?}");
        }
    }
}
