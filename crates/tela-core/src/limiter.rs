//! A pause shared by every call of one client family (a client and its `with_options`
//! copies). When the server says "slow down" (429, or 503 with a retry hint) to one call,
//! every call waits before its next attempt, so a batch of 64 workers backs off together
//! instead of 63 of them running into the same limit.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Limiter {
    until: Mutex<Option<Instant>>,
}

impl Limiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Holds new attempts back for `wait` from now; a longer pause already in force stays.
    pub fn pause(&self, wait: Duration) {
        let end = Instant::now() + wait;
        let mut until = self.until.lock().unwrap_or_else(|e| e.into_inner());
        if until.is_none_or(|t| t < end) {
            *until = Some(end);
        }
    }

    /// How long an attempt starting now must wait (zero when no pause is in force).
    pub fn remaining(&self) -> Duration {
        let until = *self.until.lock().unwrap_or_else(|e| e.into_inner());
        until.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        })
    }

    /// Waits out the pause in force, including one that grows while waiting.
    pub async fn ready(&self) {
        loop {
            let left = self.remaining();
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pause_means_no_wait() {
        assert_eq!(Limiter::new().remaining(), Duration::ZERO);
    }

    #[test]
    fn a_longer_pause_wins_and_a_shorter_one_does_not_cut_it() {
        let l = Limiter::new();
        l.pause(Duration::from_secs(30));
        l.pause(Duration::from_secs(1));
        assert!(l.remaining() > Duration::from_secs(20));
        l.pause(Duration::from_secs(60));
        assert!(l.remaining() > Duration::from_secs(50));
    }

    #[tokio::test]
    async fn ready_waits_until_the_pause_ends() {
        let l = Limiter::new();
        l.pause(Duration::from_millis(200));
        let start = Instant::now();
        l.ready().await;
        // A lower bound only: sleeping can take longer on a busy machine, never shorter.
        assert!(start.elapsed() >= Duration::from_millis(200));
        assert_eq!(l.remaining(), Duration::ZERO);
    }
}
