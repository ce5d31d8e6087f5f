//! Counting and hashing a body as it streams in, keeping only its first bytes: how both APIs'
//! uploads are received without buffering them whole.

use sha2::{Digest, Sha256};

/// Bytes of content kept per file, for `text`.
pub(crate) const TEXT_PREFIX: usize = 64 * 1024;

/// What a stream of bytes was: counted and hashed as it passed.
pub(crate) struct Digested {
    pub size: u64,
    pub sha256: String,
    pub prefix: Vec<u8>,
}

/// Hashes, counts and keeps the first [`TEXT_PREFIX`] bytes of a stream fed in chunks.
pub(crate) struct Digester {
    hasher: Sha256,
    size: u64,
    prefix: Vec<u8>,
}

impl Digester {
    pub(crate) fn new() -> Self {
        Digester {
            hasher: Sha256::new(),
            size: 0,
            prefix: Vec::new(),
        }
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.size += chunk.len() as u64;
        let room = TEXT_PREFIX.saturating_sub(self.prefix.len());
        self.prefix
            .extend_from_slice(&chunk[..room.min(chunk.len())]);
    }

    pub(crate) fn finish(self) -> Digested {
        Digested {
            size: self.size,
            sha256: self
                .hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            prefix: self.prefix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_counts_hashes_and_keeps_a_prefix() {
        let mut d = Digester::new();
        d.update(b"hello ");
        d.update(&vec![b'x'; TEXT_PREFIX]);
        let out = d.finish();
        assert_eq!(out.size, 6 + TEXT_PREFIX as u64);
        assert_eq!(out.prefix.len(), TEXT_PREFIX);
        let mut d = Digester::new();
        d.update(b"abc");
        assert_eq!(
            d.finish().sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
