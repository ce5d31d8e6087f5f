//! When to retry, and how long to wait.
//!
//! The rule for the run-creating POST (`/v2/chat/completions`): it is retried only when the
//! server cannot have started the run, because every accepted request is a new billed run:
//! - the connection could not be opened (refused, DNS, connect timeout): nothing was sent;
//! - 429: the server refused the request;
//! - 503 *with* `Retry-After` (or `retry-after-ms`): the server asks us to come back;
//! - any status with `x-should-retry: true`: the server says it is safe.
//!
//! `x-should-retry: false` always wins. Reads (GET) are retried on every transient failure:
//! connection errors, timeouts, 408, 409, 429 and 5xx. One `Idempotency-Key` is sent on all
//! attempts of one call, so a server that honours it can deduplicate.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// Whether repeating the request can have a visible effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Safety {
    /// Reads: repeat freely.
    Idempotent,
    /// Starts work on the server (a canvas run): repeat only when it cannot have started.
    CreatesWork,
}

/// What went wrong with one attempt, as far as retrying cares.
#[derive(Debug)]
pub enum Failure<'a> {
    /// The connection was never established: the request was not sent.
    NotConnected,
    /// The request may have reached the server (reset, timeout waiting for the answer...).
    MaybeSent,
    Status {
        status: u16,
        headers: &'a HeaderMap,
    },
}

const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// The longest wait a server hint can ask for: a longer hint still counts as "come back",
/// but we come back after this long rather than look hung.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Returns the delay before the next attempt, or `None` to give up.
/// `retries_done` counts the retries already made (0 before the first retry).
pub fn next_delay(
    safety: Safety,
    failure: &Failure<'_>,
    retries_done: u32,
    max_retries: u32,
) -> Option<Duration> {
    if retries_done >= max_retries {
        return None;
    }
    let hint = match failure {
        Failure::NotConnected => None,
        Failure::MaybeSent => {
            if safety == Safety::CreatesWork {
                return None;
            }
            None
        }
        Failure::Status { status, headers } => {
            let should = header_str(headers, "x-should-retry");
            let hint = retry_after(headers);
            match should {
                Some("false") => return None,
                Some("true") => hint,
                _ => {
                    let ok = match safety {
                        Safety::Idempotent => transient_status(*status),
                        Safety::CreatesWork => *status == 429 || (*status == 503 && hint.is_some()),
                    };
                    if !ok {
                        return None;
                    }
                    hint
                }
            }
        }
    };
    Some(hint.unwrap_or_else(|| backoff(retries_done)))
}

/// Statuses after which the same read may well succeed: 408, 409, 429 and 5xx.
pub fn transient_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// Exponential backoff with jitter (0.75..1.0 of the step), so many clients do not retry in lockstep.
pub fn backoff(retries_done: u32) -> Duration {
    let step = INITIAL_BACKOFF
        .saturating_mul(1u32 << retries_done.min(16))
        .min(MAX_BACKOFF);
    step.mul_f64(1.0 - 0.25 * fastrand::f64())
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Reads `retry-after-ms` (milliseconds, may be fractional) or `Retry-After` (seconds or an
/// HTTP date). Presence is what matters to the 503 rule: `0` (or a date in the past) means
/// "retry now", and a hint above [`MAX_RETRY_AFTER`] is capped to it. `None` only when the
/// header is absent or unreadable.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let d = if let Some(ms) =
        header_str(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok())
    {
        Duration::try_from_secs_f64(ms / 1000.0).ok()
    } else {
        let v = header_str(headers, "retry-after")?;
        if let Ok(secs) = v.parse::<f64>() {
            Duration::try_from_secs_f64(secs).ok()
        } else {
            let when = httpdate::parse_http_date(v).ok()?;
            Some(
                when.duration_since(std::time::SystemTime::now())
                    .unwrap_or(Duration::ZERO),
            )
        }
    }?;
    Some(d.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn create_is_retried_only_when_not_started() {
        let none = HeaderMap::new();
        let c = Safety::CreatesWork;
        assert!(next_delay(c, &Failure::NotConnected, 0, 2).is_some());
        assert!(next_delay(c, &Failure::MaybeSent, 0, 2).is_none());
        assert!(
            next_delay(
                c,
                &Failure::Status {
                    status: 429,
                    headers: &none
                },
                0,
                2
            )
            .is_some()
        );
        assert!(
            next_delay(
                c,
                &Failure::Status {
                    status: 500,
                    headers: &none
                },
                0,
                2
            )
            .is_none()
        );
        assert!(
            next_delay(
                c,
                &Failure::Status {
                    status: 503,
                    headers: &none
                },
                0,
                2
            )
            .is_none()
        );
        let ra = headers(&[("retry-after", "1")]);
        assert_eq!(
            next_delay(
                c,
                &Failure::Status {
                    status: 503,
                    headers: &ra
                },
                0,
                2
            ),
            Some(Duration::from_secs(1))
        );
        let yes = headers(&[("x-should-retry", "true")]);
        assert!(
            next_delay(
                c,
                &Failure::Status {
                    status: 500,
                    headers: &yes
                },
                0,
                2
            )
            .is_some()
        );
    }

    #[test]
    fn reads_retry_transient_failures() {
        let none = HeaderMap::new();
        let r = Safety::Idempotent;
        assert!(next_delay(r, &Failure::MaybeSent, 0, 2).is_some());
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(
                next_delay(
                    r,
                    &Failure::Status {
                        status: s,
                        headers: &none
                    },
                    0,
                    2
                )
                .is_some(),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(
                next_delay(
                    r,
                    &Failure::Status {
                        status: s,
                        headers: &none
                    },
                    0,
                    2
                )
                .is_none(),
                "{s}"
            );
        }
        let no = headers(&[("x-should-retry", "false")]);
        assert!(
            next_delay(
                r,
                &Failure::Status {
                    status: 503,
                    headers: &no
                },
                0,
                2
            )
            .is_none()
        );
    }

    #[test]
    fn retries_are_bounded() {
        assert!(next_delay(Safety::Idempotent, &Failure::NotConnected, 2, 2).is_none());
        assert!(next_delay(Safety::Idempotent, &Failure::NotConnected, 0, 0).is_none());
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
        let future = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(5));
        let d = retry_after(&headers(&[("retry-after", &future)])).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(std::time::SystemTime::now() - Duration::from_secs(5));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &past)])),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
    }

    #[test]
    fn zero_hint_means_retry_now() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "0")])),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "0")])),
            Some(Duration::ZERO)
        );
        for h in [("retry-after", "0"), ("retry-after-ms", "0")] {
            let h = headers(&[h]);
            let f = Failure::Status {
                status: 503,
                headers: &h,
            };
            assert_eq!(
                next_delay(Safety::CreatesWork, &f, 0, 2),
                Some(Duration::ZERO),
                "{h:?}"
            );
        }
    }

    #[test]
    fn long_hint_counts_as_present_and_is_capped() {
        for (k, v) in [
            ("retry-after", "120"),
            ("retry-after", "600"),
            ("retry-after-ms", "120000"),
        ] {
            let h = headers(&[(k, v)]);
            assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER), "{k}: {v}");
            let f = Failure::Status {
                status: 503,
                headers: &h,
            };
            assert_eq!(
                next_delay(Safety::CreatesWork, &f, 0, 2),
                Some(MAX_RETRY_AFTER),
                "{k}: {v}"
            );
        }
        let far = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
        assert_eq!(
            retry_after(&headers(&[("retry-after", &far)])),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        for n in 0..20 {
            let d = backoff(n);
            let step = INITIAL_BACKOFF
                .saturating_mul(1u32 << n.min(16))
                .min(MAX_BACKOFF);
            assert!(d <= step && d >= step.mul_f64(0.75), "{n}: {d:?}");
        }
    }
}
