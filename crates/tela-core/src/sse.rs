//! Incremental Server-Sent Events decoder (WHATWG "event stream interpretation").
//!
//! Network reads split events at arbitrary bytes, so the decoder keeps only the
//! unfinished line and the fields of the event being built. Every input byte is
//! scanned once (with `memchr`), which keeps the cost linear in the stream size
//! regardless of how events are chunked or how large they are.

use std::mem;

use memchr::{memchr, memchr2};

/// A UTF-8 byte order mark; WHATWG ignores one at the start of the stream.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// Buffers that grew past this are released instead of reused, so one huge
/// event does not pin its memory for the rest of a long-lived stream.
const RETAIN_LIMIT: usize = 64 * 1024;

/// One dispatched SSE event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// Value of the last `event:` field; `None` if absent or empty (WHATWG
    /// treats an empty type as the default `message` type).
    pub event: Option<String>,
    /// `data:` lines joined with `"\n"`.
    pub data: String,
    /// Last `id:` value seen in this event (values containing NUL are ignored).
    pub id: Option<String>,
    /// Last `retry:` value in this event that was all ASCII digits (saturating).
    pub retry: Option<u64>,
}

/// The default cap on one event's buffered bytes: far above any real completion chunk, low
/// enough that a server sending one endless line cannot exhaust the client's memory.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 128 * 1024 * 1024;

/// Streaming SSE decoder: feed raw network reads, collect complete events.
#[derive(Debug)]
pub struct SseDecoder {
    /// The most bytes one event (its data plus the unfinished line) may buffer.
    max_event_bytes: usize,
    /// An event passed `max_event_bytes`: its bytes were dropped and further input is ignored.
    exceeded: bool,
    /// Bytes of a line whose terminator has not arrived yet.
    line: Vec<u8>,
    /// Raw (not yet UTF-8 decoded) data buffer, so characters split across
    /// reads are decoded whole at dispatch time.
    data: Vec<u8>,
    /// Whether any `data` field was seen; distinguishes `data:` (dispatch "")
    /// from no data at all (dispatch nothing).
    has_data: bool,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    /// The previous read ended in CR: an LF opening the next read belongs to
    /// that CRLF and must not count as a second (blank) line.
    skip_lf: bool,
    /// How many leading bytes of the stream matched the BOM so far.
    bom_matched: u8,
    /// The start of the stream has been checked for a BOM.
    bom_done: bool,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseDecoder {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder that stops at an event larger than `max` bytes (see [`exceeded`](Self::exceeded)).
    #[must_use]
    pub fn with_max_event_bytes(max: usize) -> Self {
        SseDecoder {
            max_event_bytes: max,
            exceeded: false,
            line: Vec::new(),
            data: Vec::new(),
            has_data: false,
            event: None,
            id: None,
            retry: None,
            skip_lf: false,
            bom_matched: 0,
            bom_done: false,
        }
    }

    /// The cap, once an event has passed it. The events completed before it were emitted;
    /// the oversized one and everything after it are dropped (its memory released).
    pub fn exceeded(&self) -> Option<usize> {
        self.exceeded.then_some(self.max_event_bytes)
    }

    /// Feed the next network read; complete events are appended to `out`.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<SseEvent>) {
        if self.exceeded {
            return;
        }
        let chunk = if self.bom_done {
            chunk
        } else {
            self.strip_bom(chunk, out)
        };
        self.scan(chunk, out);
    }

    /// End of stream: dispatch a final event that had no trailing blank line (if it has data).
    ///
    /// Unlike WHATWG (which drops an unterminated event), servers that close
    /// right after the last `data:` line are common enough to be worth keeping.
    /// The decoder is reset afterwards and can decode a new stream.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) {
        if !self.bom_done {
            // A stream shorter than a BOM: the matched bytes were content.
            let matched = usize::from(self.bom_matched);
            self.line.extend_from_slice(&BOM[..matched]);
        }
        if !self.line.is_empty() && !self.exceeded {
            let line = mem::take(&mut self.line);
            self.process_line(&line, out);
        }
        self.dispatch(out);
        *self = Self::with_max_event_bytes(self.max_event_bytes);
    }

    /// Bytes currently buffered but not yet part of a dispatched event (for tests / limits).
    pub fn buffered_len(&self) -> usize {
        let bom = if self.bom_done {
            0
        } else {
            usize::from(self.bom_matched)
        };
        self.line.len()
            + self.data.len()
            + self.event.as_ref().map_or(0, String::len)
            + self.id.as_ref().map_or(0, String::len)
            + bom
    }

    /// Consumes a (possibly split) leading BOM and returns the rest of `chunk`.
    /// Bytes that only looked like a BOM prefix are replayed as content.
    fn strip_bom<'a>(&mut self, mut chunk: &'a [u8], out: &mut Vec<SseEvent>) -> &'a [u8] {
        while !self.bom_done {
            let Some((&byte, rest)) = chunk.split_first() else {
                break;
            };
            let matched = usize::from(self.bom_matched);
            if byte == BOM[matched] {
                chunk = rest;
                self.bom_matched += 1;
                self.bom_done = matched + 1 == BOM.len();
            } else {
                self.bom_done = true;
                self.scan(&BOM[..matched], out);
            }
        }
        chunk
    }

    /// Splits `input` into lines, continuing the partial line from earlier reads.
    /// Only `input` is scanned, never the carried-over bytes, so work is linear.
    fn scan(&mut self, mut input: &[u8], out: &mut Vec<SseEvent>) {
        if self.skip_lf && !input.is_empty() {
            self.skip_lf = false;
            if input[0] == b'\n' {
                input = &input[1..];
            }
        }
        while let Some(pos) = memchr2(b'\n', b'\r', input) {
            let mut next = pos + 1;
            if input[pos] == b'\r' {
                match input.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            if self.line.is_empty() {
                // Common case: the whole line is inside this read, no copy.
                self.process_line(&input[..pos], out);
            } else {
                self.line.extend_from_slice(&input[..pos]);
                let mut line = mem::take(&mut self.line);
                self.process_line(&line, out);
                if line.capacity() <= RETAIN_LIMIT {
                    line.clear();
                    self.line = line;
                }
            }
            input = &input[next..];
            if self.over_cap(0) {
                return;
            }
        }
        if !self.over_cap(input.len()) {
            self.line.extend_from_slice(input);
        }
    }

    /// Whether the event being built, plus `more` bytes of its unfinished line, passes the
    /// cap; if so, its buffers are released and the decoder stops.
    fn over_cap(&mut self, more: usize) -> bool {
        if self.exceeded {
            return true;
        }
        if self.line.len() + self.data.len() + more <= self.max_event_bytes {
            return false;
        }
        self.exceeded = true;
        self.line = Vec::new();
        self.data = Vec::new();
        self.has_data = false;
        true
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if self.exceeded {
            return;
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // comment
        }
        let (name, value) = match memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.has_data = true;
                if self.data.len() + value.len() > self.max_event_bytes {
                    self.over_cap(value.len());
                    return;
                }
                self.data.extend_from_slice(value);
            }
            b"event" => {
                self.event = (!value.is_empty()).then(|| lossy(value));
            }
            b"id" if memchr(0, value).is_none() => {
                self.id = Some(lossy(value));
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, &d| {
                    acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                });
                self.retry = Some(ms);
            }
            _ => {}
        }
    }

    /// Blank line: emit the pending event if it had a data line; always reset
    /// the per-event fields so e.g. `event: ping` cannot leak into the next event.
    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        let event = self.event.take();
        let id = self.id.take();
        let retry = self.retry.take();
        if !mem::take(&mut self.has_data) {
            return;
        }
        out.push(SseEvent {
            event,
            data: take_string(&mut self.data),
            id,
            retry,
        });
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Empties `buf` into a `String` (lossy UTF-8). Small buffers are copied so
/// their capacity is reused by the next event; large ones are moved out to
/// avoid copying megabytes and to release the memory with the event.
fn take_string(buf: &mut Vec<u8>) -> String {
    if buf.capacity() > RETAIN_LIMIT {
        return match String::from_utf8(mem::take(buf)) {
            Ok(s) => s,
            Err(e) => lossy(e.as_bytes()),
        };
    }
    // Valid UTF-8 (every real stream) is checked by the fast validator and copied once;
    // `from_utf8_lossy` walks it chunk by chunk, a tenth of an event's cost here.
    let s = match std::str::from_utf8(buf) {
        Ok(text) => text.to_owned(),
        Err(_) => lossy(buf),
    };
    buf.clear();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(dec: &mut SseDecoder, chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for c in chunks {
            dec.feed(c, &mut out);
        }
        out
    }

    #[test]
    fn partial_line_is_carried_without_rescanning() {
        let mut dec = SseDecoder::new();
        let out = feed_all(&mut dec, &[b"data: ab", b"cd", b"ef"]);
        assert!(out.is_empty());
        assert_eq!(dec.line, b"data: abcdef");
        assert_eq!(dec.buffered_len(), 12);
    }

    #[test]
    fn complete_line_moves_into_data_buffer() {
        let mut dec = SseDecoder::new();
        feed_all(&mut dec, &[b"data: ab\ndata: c\n"]);
        assert!(dec.line.is_empty());
        assert_eq!(dec.data, b"ab\nc");
        assert!(dec.has_data);
    }

    #[test]
    fn trailing_cr_sets_skip_lf_and_only_first_lf_is_skipped() {
        let mut dec = SseDecoder::new();
        let mut out = feed_all(&mut dec, &[b"data: a\r"]);
        assert!(dec.skip_lf);
        dec.feed(b"", &mut out); // an empty read must not clear the flag
        assert!(dec.skip_lf);
        dec.feed(b"\n", &mut out);
        assert!(!dec.skip_lf);
        assert!(out.is_empty());
        dec.feed(b"\n", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, "a");
    }

    #[test]
    fn partial_bom_prefix_is_replayed_as_content() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(&[0xEF, 0xBB], &mut out);
        assert!(!dec.bom_done);
        assert_eq!(dec.buffered_len(), 2);
        dec.feed(b"x", &mut out);
        assert!(dec.bom_done);
        assert_eq!(dec.line, [0xEF, 0xBB, b'x']);
    }

    #[test]
    fn partial_bom_at_eof_is_content() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(&[0xEF], &mut out);
        dec.finish(&mut out);
        assert!(out.is_empty()); // "\u{FFFD}" is an unknown field name
        assert_eq!(dec.buffered_len(), 0);
    }

    #[test]
    fn large_buffers_are_released_after_dispatch() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        let big = vec![b'x'; RETAIN_LIMIT * 2];
        dec.feed(b"data: ", &mut out);
        dec.feed(&big, &mut out);
        dec.feed(b"\n\n", &mut out);
        assert_eq!(out[0].data.len(), big.len());
        assert!(dec.line.capacity() <= RETAIN_LIMIT);
        assert!(dec.data.capacity() <= RETAIN_LIMIT);
    }

    #[test]
    fn small_buffers_are_reused() {
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        dec.feed(b"data: hello\n\n", &mut out);
        assert!(dec.data.capacity() >= 5);
    }

    #[test]
    fn an_event_past_the_cap_stops_the_decoder_after_the_earlier_events() {
        let mut dec = SseDecoder::with_max_event_bytes(16);
        let mut out = Vec::new();
        dec.feed(b"data: ok\n\ndata: 0123456789", &mut out);
        assert_eq!(dec.exceeded(), None);
        dec.feed(b"abcdefgh", &mut out);
        assert_eq!(dec.exceeded(), Some(16));
        assert_eq!(out.len(), 1);
        assert_eq!(dec.buffered_len(), 0);
        dec.feed(b"\n\ndata: late\n\n", &mut out);
        dec.finish(&mut out);
        assert_eq!(out.len(), 1);
        // Many data lines of one event count together, even inside one read.
        let mut dec = SseDecoder::with_max_event_bytes(10);
        let mut out = Vec::new();
        dec.feed(b"data: 123456\ndata: 123456\n\n", &mut out);
        assert!(out.is_empty() && dec.exceeded() == Some(10));
        // An event of exactly the cap passes.
        let mut dec = SseDecoder::with_max_event_bytes(6);
        dec.feed(b"data: 123456\n\n", &mut out);
        assert_eq!((out.len(), dec.exceeded()), (1, None));
    }

    #[test]
    fn retry_saturates_on_overflow() {
        let mut dec = SseDecoder::new();
        let out = feed_all(&mut dec, &[b"retry: 99999999999999999999999\ndata\n\n"]);
        assert_eq!(out[0].retry, Some(u64::MAX));
    }

    #[test]
    fn take_string_lossy_for_large_invalid_buffer() {
        let mut buf = vec![b'a'; RETAIN_LIMIT + 1];
        buf.push(0xFF);
        let s = take_string(&mut buf);
        assert!(s.ends_with('\u{FFFD}'));
        assert_eq!(buf.capacity(), 0);
    }

    #[test]
    fn take_string_small_buffers_valid_or_not() {
        let mut buf = "héllo".as_bytes().to_vec();
        assert_eq!(take_string(&mut buf), "héllo");
        assert!(
            buf.is_empty() && buf.capacity() > 0,
            "the buffer is kept for reuse"
        );
        let mut buf = b"ab\xFFcd".to_vec();
        assert_eq!(take_string(&mut buf), "ab\u{FFFD}cd");
    }
}
