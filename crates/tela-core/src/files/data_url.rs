//! `data:` URLs (RFC 2397): a file given inline, parsed and decoded without a dependency.

use base64::Engine;

use super::sniff::check_mime;
use crate::error::{Error, Result};

/// `data:[<mime>][;base64],<payload>` (RFC 2397).
pub(crate) struct DataUrl<'a> {
    /// Everything before `;base64` (may be empty, may carry `;charset=...`).
    pub mime: &'a str,
    pub base64: bool,
    pub payload: &'a str,
}

impl<'a> DataUrl<'a> {
    pub fn parse(url: &'a str) -> Result<DataUrl<'a>> {
        let rest = url.strip_prefix("data:").unwrap_or(url);
        let Some((header, payload)) = rest.split_once(',') else {
            return Err(Error::InvalidRequest(
                "data: URL has no comma: the form is data:<mime>;base64,<content>.".into(),
            ));
        };
        let (mime, base64) = match header.len().checked_sub(7) {
            Some(i)
                if header.is_char_boundary(i) && header[i..].eq_ignore_ascii_case(";base64") =>
            {
                (&header[..i], true)
            }
            _ => (header, false),
        };
        Ok(DataUrl {
            mime,
            base64,
            payload,
        })
    }

    /// Non-empty, and valid base64 when it says so, without decoding into memory.
    pub fn check(&self) -> Result<()> {
        if self.payload.is_empty() {
            return Err(Error::InvalidRequest(
                "data: URL holds no content; Tela rejects empty files.".into(),
            ));
        }
        if !self.mime.is_empty() {
            check_mime(self.mime)?;
        }
        if self.base64 {
            let body = self.payload.trim_end_matches('=');
            let pad = self.payload.len() - body.len();
            let ok_chars = body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
            if !ok_chars || pad > 2 || body.len() % 4 == 1 {
                return Err(Error::InvalidRequest(
                    "data: URL says base64 but its content is not valid base64.".into(),
                ));
            }
        }
        Ok(())
    }

    pub fn decoded_len(&self) -> u64 {
        if self.base64 {
            let body = self.payload.trim_end_matches('=').len() as u64;
            body / 4 * 3 + (body % 4).saturating_sub(1)
        } else {
            let escapes = self.payload.bytes().filter(|&b| b == b'%').count() as u64;
            self.payload.len() as u64 - 2 * escapes
        }
    }

    pub fn decode(&self) -> Result<Vec<u8>> {
        if self.base64 {
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            engine.decode(self.payload).map_err(|e| {
                Error::InvalidRequest(format!("data: URL content is not valid base64: {e}."))
            })
        } else {
            percent_decode(self.payload)
        }
    }
}

fn percent_decode(s: &str) -> Result<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                return Err(Error::InvalidRequest(
                    "data: URL has a malformed %-escape.".into(),
                ));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(out)
}
