//! The queue of injected faults.

use crate::spec::FaultSpec;

struct Armed {
    spec: FaultSpec,
    remaining: u32,
}

#[derive(Default)]
pub(crate) struct Faults {
    armed: Vec<Armed>,
}

impl Faults {
    pub(crate) fn add(&mut self, spec: FaultSpec) {
        let remaining = spec.times;
        if remaining > 0 {
            self.armed.push(Armed { spec, remaining });
        }
    }

    pub(crate) fn clear(&mut self) {
        self.armed.clear();
    }

    /// The first armed fault matching the request, used up by one.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Option<FaultSpec> {
        let index = self.armed.iter().position(|a| {
            a.spec.path.as_deref().is_none_or(|p| path.starts_with(p))
                && a.spec
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let armed = &mut self.armed[index];
        armed.remaining -= 1;
        if armed.remaining == 0 {
            Some(self.armed.remove(index).spec)
        } else {
            Some(armed.spec.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertion_order_and_times() {
        let mut f = Faults::default();
        f.add(FaultSpec {
            path: Some("/v2".into()),
            method: Some("post".into()),
            status: Some(503),
            times: 2,
            ..Default::default()
        });
        f.add(FaultSpec {
            status: Some(500),
            ..Default::default()
        });
        assert_eq!(f.take("GET", "/v2/x").unwrap().status, Some(500));
        assert_eq!(f.take("POST", "/v2/x").unwrap().status, Some(503));
        assert_eq!(f.take("POST", "/v2/x").unwrap().status, Some(503));
        assert!(f.take("POST", "/v2/x").is_none());
    }
}
