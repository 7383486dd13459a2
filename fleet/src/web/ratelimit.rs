//! Failed logins counted per user name and per client address: past the
//! limit within the window, logins from that address or for that user are
//! refused (429) before any password is checked, even a right one.  Kept
//! in memory: a restart forgets the counts, which only helps someone who
//! can restart the server anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

    /// How long until one of `keys` may try again; None if none is held.
    pub fn blocked(&self, keys: &[String]) -> Option<Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| {
                let q = map.get_mut(k)?;
                self.forget_old(q, now);
                (q.len() >= self.max as usize).then(|| {
                    self.window
                        .saturating_sub(now - q[q.len() - self.max as usize])
                })
            })
            .max()
    }

    pub fn fail(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Many addresses each failing once must not grow the map forever.
        if map.len() > 100_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now - *t < self.window));
        }
        for k in keys {
            let q = map.entry(k.clone()).or_default();
            self.forget_old(q, now);
            q.push_back(now);
        }
    }

    /// A right password for `key` (the user) clears its count; an
    /// address's count is never cleared by success, or one known account
    /// would let an address guess at all the others.
    pub fn clear(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
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
    fn five_failures_block_until_the_window_passes() {
        let l = Limiter::new(5, Duration::from_millis(300));
        let keys = ["user:a".to_string(), "addr:1".to_string()];
        for _ in 0..4 {
            l.fail(&keys);
        }
        assert!(l.blocked(&keys).is_none());
        l.fail(&keys);
        let wait = l.blocked(&keys).expect("blocked");
        assert!(wait <= Duration::from_millis(300));
        // Another user from the same address is held by the address.
        assert!(l.blocked(&["user:b".into(), "addr:1".into()]).is_some());
        l.clear("user:a");
        assert!(l.blocked(&["user:a".into()]).is_none());
        std::thread::sleep(Duration::from_millis(320));
        assert!(l.blocked(&keys).is_none());
    }
}
