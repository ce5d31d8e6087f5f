//! Masking a URL's query values, shared by traces (`observe`) and cassettes (`cassette`),
//! which each decide which parameters are secret and what to write instead.

/// Replaces with `mask` the value of every query parameter of `u` that `secret` names.
pub fn query_values(u: &mut url::Url, secret: impl Fn(&str) -> bool, mask: &str) {
    if u.query().is_none() {
        return;
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let v = if secret(&k) {
                mask.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
}
