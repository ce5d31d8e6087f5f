//! Names and MIME types for files given without them. The name's extension wins (it is what
//! the user called the file); then the content's magic bytes; then a text check; else
//! `application/octet-stream`. A MIME type given by the user is checked here too.

use crate::error::{Error, Result};

/// How much of a file is read to sniff its type: enough for every magic number `infer`
/// knows, including the zip directory entries that tell DOCX from XLSX.
pub const HEAD_LEN: usize = 8192;

pub const OCTET_STREAM: &str = "application/octet-stream";

/// The MIME type registered for the name's extension, if any.
pub fn mime_from_name(name: &str) -> Option<&'static str> {
    mime_guess::from_path(name).first_raw()
}

/// The MIME type the first bytes reveal, if any.
pub fn mime_from_content(head: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(head) {
        return Some(kind.mime_type());
    }
    looks_like_text(head).then_some("text/plain")
}

/// The best MIME type for a file: by name, then by content.
pub fn sniff_mime(name: Option<&str>, head: &[u8]) -> &'static str {
    name.and_then(mime_from_name)
        .or_else(|| mime_from_content(head))
        .unwrap_or(OCTET_STREAM)
}

/// UTF-8 without control characters other than tab, newlines and form feed. A head cut in
/// the middle of a multi-byte character still counts as text.
fn looks_like_text(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let utf8 = match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    utf8 && !head
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f)
}

/// The usual extension of a MIME type (without the dot), for naming unnamed content.
pub fn extension_for(mime: &str) -> &'static str {
    let essence = mime.split(';').next().unwrap_or("").trim();
    // The formats Tela documents first: mime_guess lists several extensions per type and
    // its first is not always the usual one (text/plain -> "asc" ...).
    let known = match essence {
        "application/pdf" => Some("pdf"),
        "text/plain" => Some("txt"),
        "text/csv" => Some("csv"),
        "text/markdown" => Some("md"),
        "text/html" => Some("html"),
        "application/json" => Some("json"),
        "image/png" => Some("png"),
        "image/jpeg" => Some("jpg"),
        "image/gif" => Some("gif"),
        "image/webp" => Some("webp"),
        "audio/mpeg" => Some("mp3"),
        "audio/ogg" => Some("ogg"),
        "audio/wav" | "audio/x-wav" => Some("wav"),
        "video/mp4" => Some("mp4"),
        "application/msword" => Some("doc"),
        "application/vnd.ms-excel" => Some("xls"),
        "application/vnd.ms-powerpoint" => Some("ppt"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Some("docx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some("xlsx"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => Some("pptx"),
        "application/zip" => Some("zip"),
        OCTET_STREAM => Some("bin"),
        _ => None,
    };
    known
        .or_else(|| {
            mime_guess::get_mime_extensions_str(essence).and_then(|exts| exts.first().copied())
        })
        .unwrap_or("bin")
}

/// `file.<ext>`: the name sent for content that came without one (bytes, streams).
pub fn default_name(mime: &str) -> String {
    format!("file.{}", extension_for(mime))
}

/// A MIME type given by the user: one concrete type, safe to put in a header or a `data:` URL.
pub fn check_mime(m: &str) -> Result<()> {
    let parsed: mime_guess::mime::Mime = m.parse().map_err(|_| {
        Error::InvalidRequest(format!(
            "mime_type={m:?} is not a MIME type; pass something like \"application/pdf\" or \"text/plain\"."
        ))
    })?;
    let safe = m
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b','));
    if parsed.type_() == "*" || parsed.subtype() == "*" || !safe {
        return Err(Error::InvalidRequest(format!(
            "mime_type={m:?} must be one concrete type like \"application/pdf\" (no wildcards, spaces, quotes or commas)."
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn name_wins_over_content() {
        assert_eq!(sniff_mime(Some("report.PDF"), b"hello"), "application/pdf");
        assert_eq!(sniff_mime(Some("a.csv"), PNG), "text/csv");
        assert_eq!(sniff_mime(Some("x.jpeg"), b""), "image/jpeg");
        assert_eq!(
            sniff_mime(Some("deck.pptx"), b""),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        );
    }

    #[test]
    fn content_when_the_name_says_nothing() {
        assert_eq!(sniff_mime(None, PDF), "application/pdf");
        assert_eq!(sniff_mime(Some("scan"), PNG), "image/png");
        assert_eq!(
            sniff_mime(None, b"\xff\xd8\xff\xe0\0\x10JFIF"),
            "image/jpeg"
        );
        assert_eq!(sniff_mime(None, b"ID3\x03\0\0\0\0\0\0"), "audio/mpeg");
        assert_eq!(sniff_mime(None, b"RIFF\0\0\0\0WAVEfmt "), "audio/x-wav");
        assert_eq!(
            sniff_mime(Some("noext"), "héllo\nworld\t!".as_bytes()),
            "text/plain"
        );
        assert_eq!(sniff_mime(None, b"\0\x01\x02binary"), OCTET_STREAM);
        assert_eq!(sniff_mime(None, b""), OCTET_STREAM);
    }

    #[test]
    fn text_cut_mid_character_is_still_text() {
        let text = "abc é".as_bytes();
        assert_eq!(sniff_mime(None, &text[..text.len() - 1]), "text/plain");
        assert_eq!(sniff_mime(None, b"abc \xff def"), OCTET_STREAM);
    }

    #[test]
    fn names_for_unnamed_content() {
        assert_eq!(default_name("application/pdf"), "file.pdf");
        assert_eq!(default_name("text/plain; charset=utf-8"), "file.txt");
        assert_eq!(default_name("image/svg+xml"), "file.svg");
        assert_eq!(default_name("application/x-nothing-known"), "file.bin");
        assert_eq!(default_name(OCTET_STREAM), "file.bin");
    }
}
