//! Property test of the SSE decoder: random events, encoded with random line endings,
//! comments, field spellings and keep-alive pings, fed in random splits (including inside
//! multi-byte characters and between the CR and LF of a CRLF), decode to the same events.
//! The Python twin over real TCP is tests/test_fuzz_sse.py.

use proptest::prelude::*;
use tela_core::sse::{SseDecoder, SseEvent};

/// One event as a server would build it; `data` holds one entry per `data:` line.
#[derive(Debug, Clone)]
struct Spec {
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    data: Vec<String>,
    /// Comment lines written before the event's fields.
    comments: Vec<String>,
    /// A data-less `event: ping` frame before this event (dropped by the decoder).
    ping_before: bool,
}

impl Spec {
    fn expected(&self) -> SseEvent {
        SseEvent {
            event: self.event.clone().filter(|e| !e.is_empty()),
            data: self.data.join("\n"),
            id: self.id.clone(),
            retry: self.retry,
        }
    }
}

/// Characters a field value may hold: anything but CR and LF, weighted towards multi-byte.
fn value_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => proptest::char::range(' ', '~'),
        2 => proptest::sample::select(vec!['é', 'ü', '€', '✓', '😀', '🦊', '\u{FEFF}', ':', ' ', '\t']),
        1 => any::<char>().prop_filter("no line breaks", |c| *c != '\r' && *c != '\n'),
    ]
}

fn value() -> impl Strategy<Value = String> {
    proptest::collection::vec(value_char(), 0..24).prop_map(String::from_iter)
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::option::of(value()),
        proptest::option::of(value().prop_map(|v| v.replace('\0', ""))),
        proptest::option::of(any::<u64>()),
        proptest::collection::vec(value(), 1..5),
        proptest::collection::vec(value(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(event, id, retry, data, comments, ping_before)| Spec {
            event,
            id,
            retry,
            data,
            comments,
            ping_before,
        })
}

/// Serialises lines, choosing each line ending and field spelling from `choices`.
struct Encoder<'a> {
    out: Vec<u8>,
    choices: &'a [u8],
    next: usize,
    last_was_cr: bool,
}

impl Encoder<'_> {
    fn pick(&mut self, n: u8) -> u8 {
        let c = self.choices[self.next % self.choices.len()];
        self.next += 1;
        c % n
    }

    fn line(&mut self, content: &[u8]) {
        let mut eol: &[u8] = match self.pick(3) {
            0 => b"\n",
            1 => b"\r",
            _ => b"\r\n",
        };
        // CR then an empty line ending in LF would read as one CRLF: a generator artifact.
        if self.last_was_cr && content.is_empty() && eol[0] == b'\n' {
            eol = b"\r\n";
        }
        self.out.extend_from_slice(content);
        self.out.extend_from_slice(eol);
        self.last_was_cr = eol == b"\r";
    }

    /// `name: value`, `name:value` (when that is unambiguous) or a bare `name` for an empty value.
    fn field(&mut self, name: &str, value: &str) {
        let spelling = self.pick(3);
        let line = if value.is_empty() && spelling == 0 {
            name.to_owned()
        } else if spelling == 1 && !value.starts_with(' ') {
            format!("{name}:{value}")
        } else {
            format!("{name}: {value}")
        };
        self.line(line.as_bytes());
    }

    fn event(&mut self, spec: &Spec, terminate: bool) {
        if spec.ping_before {
            self.field("event", "ping");
            self.line(b"");
        }
        for c in &spec.comments {
            self.line(format!(":{c}").as_bytes());
        }
        if let Some(e) = &spec.event {
            self.field("event", e);
        }
        if let Some(id) = &spec.id {
            self.field("id", id);
        }
        if let Some(r) = spec.retry {
            self.field("retry", &r.to_string());
        }
        for d in &spec.data {
            self.field("data", d);
        }
        if terminate {
            self.line(b"");
        }
    }
}

fn encode(specs: &[Spec], choices: &[u8], bom: bool, last_terminated: bool) -> Vec<u8> {
    let mut enc = Encoder {
        out: if bom { vec![0xEF, 0xBB, 0xBF] } else { vec![] },
        choices,
        next: 0,
        last_was_cr: false,
    };
    for (i, s) in specs.iter().enumerate() {
        enc.event(s, last_terminated || i + 1 < specs.len());
    }
    enc.out
}

fn decode_split(input: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    let mut start = 0;
    for cut in cuts {
        dec.feed(&input[start..cut], &mut out);
        start = cut;
    }
    dec.feed(&input[start..], &mut out);
    dec.finish(&mut out);
    assert_eq!(dec.buffered_len(), 0);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_events_survive_random_encodings_and_splits(
        specs in proptest::collection::vec(spec(), 1..8),
        choices in proptest::collection::vec(any::<u8>(), 1..64),
        cuts in proptest::collection::vec(any::<usize>(), 0..16),
        bom in any::<bool>(),
        last_terminated in any::<bool>(),
    ) {
        let input = encode(&specs, &choices, bom, last_terminated);
        let expected: Vec<SseEvent> = specs.iter().map(Spec::expected).collect();
        prop_assert_eq!(decode_split(&input, &cuts), expected.clone());
        let mut dec = SseDecoder::new();
        let mut out = Vec::new();
        for b in input.chunks(1) {
            dec.feed(b, &mut out);
        }
        dec.finish(&mut out);
        prop_assert_eq!(out, expected, "byte by byte");
    }
}
