//! Redirects are followed only within the origin of the request: a 307/308 elsewhere would
//! resend the body, the user's headers and the idempotency key to a server nobody chose.

use std::fmt;

use reqwest::redirect::{Action, Attempt, Policy};

use crate::error::{Error, redact_urls};

/// reqwest's own default limit.
const MAX_REDIRECTS: usize = 10;

pub(crate) fn policy() -> Policy {
    Policy::custom(decide)
}

fn decide(attempt: Attempt<'_>) -> Action {
    let same = attempt
        .previous()
        .first()
        .is_some_and(|first| first.origin() == attempt.url().origin());
    if !same {
        let refused = CrossOrigin {
            status: attempt.status().as_u16(),
            location: redact_urls(attempt.url().as_str()),
        };
        return attempt.error(refused);
    }
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
    }
    attempt.follow()
}

/// The reason a redirect was not followed, carried inside reqwest's error.
#[derive(Debug)]
struct CrossOrigin {
    status: u16,
    location: String,
}

impl fmt::Display for CrossOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HTTP {} redirect to another origin: {}",
            self.status, self.location
        )
    }
}

impl std::error::Error for CrossOrigin {}

/// The typed error for a send that stopped at a cross-origin redirect.
pub(crate) fn refused(e: &reqwest::Error, method: &str, url: &str) -> Option<Error> {
    if !e.is_redirect() {
        return None;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(x) = c.downcast_ref::<CrossOrigin>() {
            return Some(Error::Redirect {
                status: x.status,
                method: method.to_owned(),
                url: url.to_owned(),
                location: x.location.clone(),
            });
        }
        cur = c.source();
    }
    None
}
