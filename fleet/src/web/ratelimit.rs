//! Failed logins counted per user name and per client address: past the
//! limit within the window, logins from that address or for that user are
//! refused (429) before any password is checked, even a right one.  An
//! attempt counts as failed from the moment it is let through (`attempt`)
//! until its password proves right (`succeeded`): parallel guesses cannot
//! all pass the check while the first ones are still hashing.  Kept in
//! memory: a restart forgets the counts, which only helps someone who can
//! restart the server anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An attempt let through, counted as failed until `succeeded`.
#[must_use]
pub struct Attempt(Instant);

pub struct Limiter {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Lets one attempt for `keys` through, counted as failed at once
    /// (under the same lock as the check, so no two attempts see the same
    /// count); or how long until one of `keys` may try again.
    pub fn attempt(&self, keys: &[String]) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys
            .iter()
            .filter_map(|k| {
                let q = map.get_mut(k)?;
                self.forget_old(q, now);
                (q.len() >= self.max as usize).then(|| {
                    self.window
                        .saturating_sub(now - q[q.len() - self.max as usize])
                })
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        // Many addresses each failing once must not grow the map forever.
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now - *t < self.window));
        }
        for k in keys {
            map.entry(k.clone()).or_default().push_back(now);
        }
        Ok(Attempt(now))
    }

    /// The attempt's password was right: the user's count (`user`) is
    /// cleared and the attempt no longer counts against `address`.  An
    /// address's earlier failures stay, or one known account would let an
    /// address guess at all the others.
    pub fn succeeded(&self, attempt: Attempt, user: &str, address: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(user);
        if let Some(q) = map.get_mut(address) {
            if let Some(i) = q.iter().rposition(|t| *t == attempt.0) {
                q.remove(i);
            }
        }
    }

    fn forget_old(&self, q: &mut VecDeque<Instant>, now: Instant) {
        while q.front().is_some_and(|t| now - *t >= self.window) {
            q.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_attempts_block_until_the_window_passes() {
        let l = Limiter::new(5, Duration::from_millis(300));
        let keys = ["user:a".to_string(), "addr:1".to_string()];
        for _ in 0..5 {
            let _ = l.attempt(&keys).expect("let through");
        }
        let wait = l.attempt(&keys).err().expect("blocked");
        assert!(wait <= Duration::from_millis(300));
        // Another user from the same address is held by the address.
        assert!(l.attempt(&["user:b".into(), "addr:1".into()]).is_err());
        std::thread::sleep(Duration::from_millis(320));
        assert!(l.attempt(&keys).is_ok());
    }

    #[test]
    fn a_right_password_takes_back_its_own_attempt_only() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let keys = ["user:a".to_string(), "addr:1".to_string()];
        let _ = l.attempt(&keys).unwrap();
        let ok = l.attempt(&keys).unwrap();
        l.succeeded(ok, "user:a", "addr:1");
        // The user is cleared; the address keeps its one failure.
        let _ = l.attempt(&["user:b".into(), "addr:1".into()]).unwrap();
        assert!(l.attempt(&["user:c".into(), "addr:1".into()]).is_err());
        assert!(l.attempt(&["user:a".into()]).is_ok());
    }
}
