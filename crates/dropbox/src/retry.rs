//! How often and how long to wait before repeating a request.

use rand::Rng;
use std::time::Duration;

/// Bounded retries with exponential backoff and jitter; `Retry-After` is honoured when Dropbox sends it.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Total attempts per request, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub base_delay: Duration,
    /// Backoff never exceeds this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out; the caller gets `RateLimited` instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, or `None` to give up. `server_wait` is `Retry-After`.
    pub fn next_delay(&self, attempts: u32, server_wait: Option<Duration>) -> Option<Duration> {
        if attempts >= self.max_attempts {
            return None;
        }
        match server_wait {
            Some(w) if w > self.max_retry_after => None,
            // A little jitter on top so a crowd of clients does not return in lockstep.
            Some(w) if !w.is_zero() => Some(w + self.jitter(self.base_delay / 4)),
            _ => {
                let exp = self
                    .base_delay
                    .saturating_mul(1u32 << (attempts.saturating_sub(1)).min(16));
                let capped = exp.min(self.max_delay);
                // "Equal jitter": half fixed, half random.
                Some(capped / 2 + self.jitter(capped / 2))
            }
        }
    }

    fn jitter(&self, upto: Duration) -> Duration {
        let ms = upto.as_millis() as u64;
        if ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::thread_rng().gen_range(0..=ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_stops_after_max_attempts() {
        let p = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(5),
        };
        let d1 = p.next_delay(1, None).unwrap();
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d3 = p.next_delay(3, None).unwrap();
        assert!(d3 <= Duration::from_millis(300));
        assert_eq!(p.next_delay(4, None), None);
    }

    #[test]
    fn retry_after_is_honoured_unless_too_long() {
        let p = RetryPolicy::default();
        let d = p.next_delay(1, Some(Duration::from_secs(2))).unwrap();
        assert!(d >= Duration::from_secs(2));
        assert_eq!(p.next_delay(1, Some(Duration::from_secs(3600))), None);
    }
}
