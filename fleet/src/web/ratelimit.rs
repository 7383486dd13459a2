//! Failed logins, counted so that guessing is slow and nobody can lock
//! anyone else out:
//! - per user and address: past `login_failures` within the window, that
//!   address may not try that user again until the window lets it;
//! - per address, over all names: past `address_failures` (a call
//!   centre's NAT is one address, so it is set well above the first);
//! - per user alone (from every address): past `login_failures`, each
//!   further try waits a delay that doubles with each failure up to
//!   USER_BACKOFF_MAX, rather than a lock: someone guessing from many
//!   addresses gets one try a minute, and the user, a short wait.
//!
//! Refused attempts (429) check no password, even a right one.  An
//! attempt counts as failed from the moment it is let through (`attempt`)
//! until its password proves right (`succeeded`): parallel guesses cannot
//! all pass the check while the first ones are still hashing.  Kept in
//! memory: a restart forgets the counts, which only helps someone who can
//! restart the server anyway.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The first delay for a user past `login_failures`; it doubles with each
/// further failure.
const USER_BACKOFF_FIRST: Duration = Duration::from_secs(1);

/// The longest delay for a user alone: one guess a minute from the whole
/// internet is 1440 a day, hopeless against a 10-character password,
/// while the user waits at most a minute.
const USER_BACKOFF_MAX: Duration = Duration::from_secs(60);

/// Past this many keys the map drops those with nothing in the window:
/// many addresses each failing once must not grow it for ever.
const KEYS_BEFORE_CLEANUP: usize = 100_000;

/// An attempt let through, counted as failed until `succeeded`.
#[must_use]
pub struct Attempt(Instant);

pub struct Limiter {
    /// Per user and address, and the threshold of the user's backoff.
    max: u32,
    /// Per address, over all names.
    address_max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

fn user_key(user: &str) -> String {
    format!("user:{user}")
}

fn pair_key(user: &str, address: &str) -> String {
    format!("pair:{user}|{address}")
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

impl Limiter {
    pub fn new(max: u32, address_max: u32, window: Duration) -> Limiter {
        Limiter {
            max,
            address_max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Lets one attempt of `user` (a checked name; None for a malformed
    /// one, which counts against the address alone) from `address`
    /// through, counted as failed at once (under the same lock as the
    /// check, so no two attempts see the same count); or how long until
    /// it may try again.
    pub fn attempt(&self, user: Option<&str>, address: &str) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut keys = vec![address_key(address)];
        let mut wait = self.held(&mut map, &keys[0], self.address_max, now);
        if let Some(user) = user {
            let (pair, alone) = (pair_key(user, address), user_key(user));
            wait = wait.max(self.held(&mut map, &pair, self.max, now));
            wait = wait.max(self.backoff(&mut map, &alone, now));
            keys.extend([pair, alone]);
        }
        if let Some(wait) = wait {
            return Err(wait);
        }
        if map.len() > KEYS_BEFORE_CLEANUP {
            map.retain(|_, q| q.back().is_some_and(|t| now - *t < self.window));
        }
        for k in keys {
            map.entry(k).or_default().push_back(now);
        }
        Ok(Attempt(now))
    }

    /// The attempt's password was right: the user's counts are cleared and
    /// the attempt no longer counts against the address.  An address's
    /// earlier failures stay, or one known account would let an address
    /// guess at all the others.
    pub fn succeeded(&self, attempt: Attempt, user: &str, address: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&user_key(user));
        map.remove(&pair_key(user, address));
        if let Some(q) = map.get_mut(&address_key(address)) {
            if let Some(i) = q.iter().rposition(|t| *t == attempt.0) {
                q.remove(i);
            }
        }
    }

    /// How long `key`, with `max` failures in the window, is held.
    fn held(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        max: u32,
        now: Instant,
    ) -> Option<Duration> {
        let q = map.get_mut(key)?;
        self.forget_old(q, now);
        (q.len() >= max as usize)
            .then(|| self.window.saturating_sub(now - q[q.len() - max as usize]))
    }

    /// How long the user of `key` waits after their last failure.
    fn backoff(
        &self,
        map: &mut HashMap<String, VecDeque<Instant>>,
        key: &str,
        now: Instant,
    ) -> Option<Duration> {
        let q = map.get_mut(key)?;
        self.forget_old(q, now);
        let past = (q.len() as u32).checked_sub(self.max)?;
        let delay = USER_BACKOFF_FIRST
            .saturating_mul(1u32 << past.min(16))
            .min(USER_BACKOFF_MAX)
            .min(self.window);
        let since = now - *q.back()?;
        (since < delay).then(|| delay - since)
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
    fn a_pair_is_held_for_the_window_and_others_behind_its_address_are_not() {
        let l = Limiter::new(3, 10, Duration::from_millis(300));
        for _ in 0..3 {
            let _ = l.attempt(Some("a"), "1").expect("let through");
        }
        let wait = l.attempt(Some("a"), "1").err().expect("held");
        assert!(wait <= Duration::from_millis(300));
        let _ = l
            .attempt(Some("b"), "1")
            .expect("another user, same address");
        std::thread::sleep(Duration::from_millis(320));
        assert!(l.attempt(Some("a"), "1").is_ok());
    }

    #[test]
    fn a_user_failing_from_many_addresses_backs_off() {
        let l = Limiter::new(2, 10, Duration::from_secs(600));
        let _ = l.attempt(Some("a"), "1").unwrap();
        let _ = l.attempt(Some("a"), "2").unwrap();
        // Past the limit: a delay from the last failure, doubling.
        let wait = l.attempt(Some("a"), "3").err().expect("backing off");
        assert!(wait <= USER_BACKOFF_FIRST, "{wait:?}");
        std::thread::sleep(USER_BACKOFF_FIRST);
        let _ = l.attempt(Some("a"), "3").expect("after the delay");
        let wait = l.attempt(Some("a"), "4").err().expect("backing off");
        assert!(wait > USER_BACKOFF_FIRST && wait <= 2 * USER_BACKOFF_FIRST);
    }

    #[test]
    fn an_address_has_a_ceiling_over_all_names() {
        let l = Limiter::new(3, 4, Duration::from_secs(60));
        for u in ["a", "b", "c"] {
            let _ = l.attempt(Some(u), "1").unwrap();
        }
        let _ = l.attempt(None, "1").unwrap();
        assert!(l.attempt(Some("d"), "1").is_err());
        assert!(l.attempt(Some("d"), "2").is_ok());
    }

    #[test]
    fn a_right_password_takes_back_its_own_attempt_only() {
        let l = Limiter::new(2, 2, Duration::from_secs(60));
        let _ = l.attempt(Some("a"), "1").unwrap();
        let ok = l.attempt(Some("a"), "1").unwrap();
        l.succeeded(ok, "a", "1");
        // The user is cleared; the address keeps its one failure.
        let _ = l.attempt(Some("b"), "1").unwrap();
        assert!(l.attempt(Some("c"), "1").is_err());
        assert!(l.attempt(Some("a"), "2").is_ok());
    }
}
