//! Random identifiers. Tests only need them unique and plausible, so fastrand is enough.

pub(crate) fn alphanumeric(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

/// The `x-request-id` of one response.
pub(crate) fn request_id() -> String {
    format!("req_{}", alphanumeric(24))
}

/// The id of a completion or of the chunks of one stream.
pub(crate) fn completion_id() -> String {
    format!("chatcmpl-{}", alphanumeric(24))
}

/// A UUID-v4-shaped id, as Tela uses for canvases and versions.
pub(crate) fn uuid() -> String {
    let mut b = fastrand::u128(..).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuid_has_v4_shape() {
        let id = super::uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
