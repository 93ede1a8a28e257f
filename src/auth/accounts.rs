//! The accounts a staff token was last found good for, kept for a moment.
//!
//! Every staff request checks its token against the account (active, the same session version:
//! `extract::check_account`). That read was a second trip to the database for every request —
//! on the cheapest reads (a clerk's queue) a fifth of the throughput. A clerk's requests come in
//! bursts, so the answer is kept for `auth.account_check_secs` (1 s by default): a session ends
//! within that long of its account's change instead of at once, on every instance. Only good
//! answers are kept; a refused token is read again each time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Beyond this many remembered accounts, the stale ones are dropped before adding another.
const PRUNE_ABOVE: usize = 10_000;

pub struct AccountChecks {
    keep: Duration,
    /// account → (session version found good, when)
    seen: Mutex<HashMap<Uuid, (i32, Instant)>>,
}

impl AccountChecks {
    /// `keep` zero: every request reads the account.
    pub fn new(keep: Duration) -> AccountChecks {
        AccountChecks {
            keep,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the account was found active under this session version less than `keep` ago.
    pub fn still_good(&self, id: Uuid, version: i32, now: Instant) -> bool {
        if self.keep.is_zero() {
            return false;
        }
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(&id)
            .is_some_and(|&(v, at)| v == version && now.saturating_duration_since(at) < self.keep)
    }

    /// The account was just read and found active under this session version.
    pub fn found_good(&self, id: Uuid, version: i32, now: Instant) {
        if self.keep.is_zero() {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= PRUNE_ABOVE {
            let keep = self.keep;
            seen.retain(|_, &mut (_, at)| now.saturating_duration_since(at) < keep);
        }
        seen.insert(id, (version, now));
    }

    /// The account was read and refused: forget it at once.
    pub fn forget(&self, id: Uuid) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_answer_is_kept_for_its_moment_and_for_its_version_only() {
        let checks = AccountChecks::new(Duration::from_secs(1));
        let (id, t0) = (Uuid::new_v4(), Instant::now());
        assert!(!checks.still_good(id, 0, t0), "nothing known yet");
        checks.found_good(id, 0, t0);
        assert!(checks.still_good(id, 0, t0 + Duration::from_millis(999)));
        assert!(
            !checks.still_good(id, 0, t0 + Duration::from_secs(1)),
            "stale"
        );
        assert!(!checks.still_good(id, 1, t0), "another session version");
        assert!(!checks.still_good(Uuid::new_v4(), 0, t0), "another account");
        checks.forget(id);
        assert!(!checks.still_good(id, 0, t0));
    }

    #[test]
    fn zero_keeps_nothing() {
        let checks = AccountChecks::new(Duration::ZERO);
        let (id, t0) = (Uuid::new_v4(), Instant::now());
        checks.found_good(id, 0, t0);
        assert!(!checks.still_good(id, 0, t0));
        assert_eq!(checks.len(), 0);
    }

    #[test]
    fn stale_answers_are_dropped_when_many_are_kept() {
        let checks = AccountChecks::new(Duration::from_secs(1));
        let t0 = Instant::now();
        for _ in 0..PRUNE_ABOVE {
            checks.found_good(Uuid::new_v4(), 0, t0);
        }
        assert_eq!(checks.len(), PRUNE_ABOVE);
        let fresh = Uuid::new_v4();
        checks.found_good(fresh, 0, t0 + Duration::from_secs(2));
        assert_eq!(checks.len(), 1, "only the fresh one is left");
        assert!(checks.still_good(fresh, 0, t0 + Duration::from_secs(2)));
    }
}
