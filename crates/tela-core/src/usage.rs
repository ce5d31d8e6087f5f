//! The usage ledger (issue 25 item 4): what a client family (a client and its `with_options`
//! copies) has used, overall and per canvas, application and tag, added up from whatever the
//! responses carry. Fed at the client's two send points (`Client::execute`, whose entry
//! waits in a [`Pending`] until the answer is read, and `open_events`): requests, attempts
//! and time from the transport, tokens and cost from the answers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use memchr::memmem::Finder;
use serde::{Serialize, de};
use serde_json::Value;

use crate::shape::pick::{Keep, pick};

/// One set of totals (the whole family, or one canvas, app or tag).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Totals {
    /// HTTP requests (a retried request counts once).
    pub requests: u64,
    /// Every try of those requests, retries included.
    pub attempts: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The sum of the costs the answers reported.
    pub cost: f64,
    /// The currency of `cost` when an answer named one (Dify's `currency`); `"mixed"` when
    /// answers named different ones.
    pub currency: Option<String>,
    /// Seconds spent in requests (a stream: from sending until it ended or was closed).
    pub time: f64,
}

/// What one request adds.
#[derive(Debug, Default)]
pub struct Entry {
    pub canvas: Option<String>,
    pub app: Option<String>,
    pub tags: Vec<String>,
    pub requests: u64,
    pub attempts: u64,
    pub used: Used,
    pub time: Duration,
    /// The run the answer is (a submit's or a poll's), so polls count for the canvas, app
    /// and tags the run was submitted with.
    pub run: Option<String>,
}

/// Tokens and cost read from an answer.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Used {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: Option<f64>,
    pub currency: Option<String>,
    /// A run whose `information` this was: counted once however often it is polled.
    pub run_id: Option<String>,
}

#[derive(Default)]
struct State {
    all: Totals,
    by_canvas: BTreeMap<String, Totals>,
    by_app: BTreeMap<String, Totals>,
    by_tag: BTreeMap<String, Totals>,
    runs_counted: HashSet<String>,
    /// Whom each run submitted through this family was for.
    run_owner: HashMap<String, Owner>,
}

/// Whom a request was for: canvas, application, tags.
type Owner = (Option<String>, Option<String>, Vec<String>);

#[derive(Default)]
pub struct Ledger(Mutex<State>);

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").finish_non_exhaustive()
    }
}

impl Totals {
    fn add(&mut self, e: &Entry, used: &Used) {
        self.requests += e.requests;
        self.attempts += e.attempts;
        self.input_tokens += used.input_tokens;
        self.output_tokens += used.output_tokens;
        if let Some(c) = used.cost {
            self.cost += c;
        }
        if let Some(cur) = &used.currency {
            match &self.currency {
                None => self.currency = Some(cur.clone()),
                Some(have) if have != cur => self.currency = Some("mixed".into()),
                _ => {}
            }
        }
        self.time += e.time.as_secs_f64();
    }
}

impl Ledger {
    pub fn add(&self, mut e: Entry) {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(run) = &e.run {
            if e.canvas.is_some() || e.app.is_some() {
                let owner = (e.canvas.clone(), e.app.clone(), e.tags.clone());
                s.run_owner.insert(run.clone(), owner);
            } else if let Some((canvas, app, tags)) = s.run_owner.get(run) {
                (e.canvas, e.app, e.tags) = (canvas.clone(), app.clone(), tags.clone());
            }
        }
        let mut used = e.used.clone();
        if let Some(run) = &used.run_id
            && !s.runs_counted.insert(run.clone())
        {
            // This run's information was already counted (a poll of a finished run).
            used = Used::default();
        }
        s.all.add(&e, &used);
        if let Some(c) = &e.canvas {
            s.by_canvas.entry(c.clone()).or_default().add(&e, &used);
        }
        if let Some(a) = &e.app {
            s.by_app.entry(a.clone()).or_default().add(&e, &used);
        }
        for t in &e.tags {
            s.by_tag.entry(t.clone()).or_default().add(&e, &used);
        }
    }

    /// The totals as JSON: `{"all", "by_canvas", "by_app", "by_tag"}`.
    pub fn snapshot(&self) -> Value {
        let s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        serde_json::json!({
            "all": s.all,
            "by_canvas": s.by_canvas,
            "by_app": s.by_app,
            "by_tag": s.by_tag,
        })
    }

    pub fn reset(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = State::default();
    }
}

/// Who a request is for: Tela's `canvas_id`, `application_id` and `tags` in its JSON body.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct Whom {
    #[serde(rename = "canvas_id")]
    pub canvas: Option<String>,
    #[serde(rename = "application_id")]
    pub app: Option<String>,
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<String>,
}

fn tags<'de, D: de::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(<Option<Vec<String>> as de::Deserialize>::deserialize(d)?.unwrap_or_default())
}

impl Whom {
    /// Read from a body about to be sent, by the same rules as [`whom`] reads its bytes: a
    /// completion's body is built here, so its bytes (inline files and all, up to 16 MiB)
    /// need not be parsed again for three keys.
    pub fn of(body: &serde_json::Map<String, Value>) -> Whom {
        de::Deserialize::deserialize(body).unwrap_or_default()
    }
}

/// Who a request is for, read from its JSON body; nothing for other bodies.
pub fn whom(body: Option<&[u8]>) -> Whom {
    body.filter(|b| b.first() == Some(&b'{'))
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default()
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn count(v: Option<&Value>) -> u64 {
    number(v).map(|n| n.max(0.0) as u64).unwrap_or(0)
}

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| v.get(*n))
}

/// Tokens and cost in a JSON answer, whichever API: Tela's `information` block (top level,
/// or a run's `output_content.information`; protocol.md §4), a completion's `usage`, Dify's
/// `metadata.usage` (`total_price`, `currency`; protocol.md §6).
pub fn used_in(body: &Value) -> Used {
    let mut out = Used::default();
    let info = body
        .get("information")
        .filter(|v| v.is_object())
        .or_else(|| {
            field(body, &["output_content", "outputContent"])
                .and_then(|o| o.get("information"))
                .filter(|v| v.is_object())
        });
    if let Some(info) = info {
        out.input_tokens = count(field(info, &["input_tokens", "inputTokens"]));
        out.output_tokens = count(field(info, &["output_tokens", "outputTokens"]));
        out.cost = number(info.get("cost"));
        if body.get("output_content").is_some() || body.get("outputContent").is_some() {
            out.run_id = body.get("id").and_then(Value::as_str).map(str::to_owned);
        }
        return out;
    }
    let usage = body
        .get("usage")
        .or_else(|| body.get("metadata").and_then(|m| m.get("usage")));
    if let Some(u) = usage.filter(|u| u.is_object()) {
        out.input_tokens = count(field(u, &["prompt_tokens", "input_tokens"]));
        out.output_tokens = count(field(u, &["completion_tokens", "output_tokens"]));
        out.cost = number(u.get("total_price"));
        out.currency = u.get("currency").and_then(Value::as_str).map(str::to_owned);
    }
    out
}

/// A stream's share of the ledger, added when the stream is dropped (read to its end,
/// closed, or abandoned): its time until then, and the usage its totals carry (Tela's
/// `usage` from the chunks, Dify's `metadata.usage` from `message_end`).
pub struct OnDrop {
    pub ledger: std::sync::Arc<Ledger>,
    pub entry: Entry,
    pub started: std::time::Instant,
    pub totals: Option<crate::tally::Totals>,
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        let mut entry = std::mem::take(&mut self.entry);
        entry.time = self.started.elapsed();
        if let Some(totals) = &self.totals {
            entry.used = used_in_totals(totals);
        }
        self.ledger.add(entry);
    }
}

impl std::fmt::Debug for OnDrop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnDrop").finish_non_exhaustive()
    }
}

fn used_in_totals(totals: &crate::tally::Totals) -> Used {
    use crate::tally::Total;
    let tally = totals.lock();
    for (name, value) in tally.fields() {
        let Total::Json(Some(text)) = value else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        match name {
            "usage" => return used_in(&serde_json::json!({ "usage": v })),
            "metadata" => return used_in(&serde_json::json!({ "metadata": v })),
            _ => {}
        }
    }
    Used::default()
}

/// What the ledger reads of one JSON answer.
#[derive(Debug, Default, PartialEq)]
pub struct Read {
    /// The run (or Workstation task) the answer is: an object with a string `id` and a
    /// `status`; polls count for the canvas, app and tags the run was submitted with.
    pub run: Option<String>,
    pub used: Used,
    /// The canvas a run answer names (a poll's request names none).
    pub canvas: Option<String>,
}

/// Reads `body` in one pass, and only when cheap scans say it may name a run or carry
/// usage (most answers do neither). Only the keys read are built into a `Value`; the rest
/// (the completion's text, above all) is skipped without being built: a full tree per answer
/// was about 4% of a blocking call's CPU, and a run answer used to be parsed twice.
pub fn read(body: &[u8]) -> Read {
    let seen = Seen::of(body);
    if !(seen.names_run || seen.may_use) {
        return Read::default();
    }
    match pick(body, &ANSWER) {
        Some(picked) => seen.read(&picked),
        None => Read::default(),
    }
}

/// What cheap scans of an answer say it may hold: what [`read`] takes from its picked parts.
#[derive(Clone, Copy)]
struct Seen {
    names_run: bool,
    may_use: bool,
}

impl Seen {
    fn of(body: &[u8]) -> Seen {
        // Built once: memmem::find would build its searcher again on every call.
        static STATUS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"status\""));
        static INFORMATION: LazyLock<Finder<'static>> =
            LazyLock::new(|| Finder::new(b"information"));
        static USAGE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"usage"));
        let has = |needle: &Finder<'static>| needle.find(body).is_some();
        Seen {
            names_run: body.first() == Some(&b'{') && has(&STATUS),
            may_use: has(&INFORMATION) || has(&USAGE),
        }
    }

    /// What the ledger reads of the parts of an answer that [`ANSWER`] picked.
    fn read(self, picked: &Value) -> Read {
        let run = picked
            .get("status")
            .and(picked.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Read {
            run: run.filter(|_| self.names_run),
            used: if self.may_use {
                used_in(picked)
            } else {
                Used::default()
            },
            canvas: self.may_use.then(|| canvas_of(picked)).flatten(),
        }
    }
}

/// The parts of an answer the ledger reads: pick them with [`pick`] or, in the same pass as
/// a shape check, with [`crate::shape::pick::check_picking`], then [`Pending::settle`].
pub const ANSWER: Keep = Keep::Keys(&[
    ("information", Keep::All),
    ("output_content", Keep::Keys(&[("information", Keep::All)])),
    ("outputContent", Keep::Keys(&[("information", Keep::All)])),
    ("id", Keep::All),
    ("usage", Keep::All),
    ("metadata", Keep::Keys(&[("usage", Keep::All)])),
    ("canvas_id", Keep::All),
    ("canvasId", Keep::All),
    ("status", Keep::Keys(&[])),
]);

/// One request's entry, waiting for its answer to be read. `api::call` reads the answer
/// once for both its shape check and the ledger and settles it; on any other path (an
/// operation that rewrites the body, a failed check, an error) dropping it reads the
/// answer as [`read`] does, so every request is counted exactly once either way.
pub struct Pending {
    ledger: std::sync::Arc<Ledger>,
    /// Boxed: a `Response` carries this, and the entry is several times its other fields.
    entry: Option<Box<Entry>>,
    answer: bytes::Bytes,
}

impl Pending {
    pub fn new(ledger: std::sync::Arc<Ledger>, entry: Entry, answer: bytes::Bytes) -> Pending {
        Pending {
            ledger,
            entry: Some(Box::new(entry)),
            answer,
        }
    }

    /// Whether `body` is the very answer this entry waits for (not a rewritten one).
    pub fn waits_for(&self, body: &bytes::Bytes) -> bool {
        self.answer.as_ptr() == body.as_ptr() && self.answer.len() == body.len()
    }

    /// Adds the entry, with what the ledger reads of `picked`: the parts of this answer
    /// that [`ANSWER`] names.
    pub fn settle(mut self, picked: &Value) {
        let read = Seen::of(&self.answer).read(picked);
        self.add(read);
    }

    fn add(&mut self, read: Read) {
        let Some(mut entry) = self.entry.take().map(|e| *e) else {
            return;
        };
        entry.run = read.run;
        entry.used = read.used;
        entry.canvas = entry.canvas.or(read.canvas);
        self.ledger.add(entry);
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.entry.is_some() {
            let read = read(&self.answer);
            self.add(read);
        }
    }
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

/// The canvas an answer names.
fn canvas_of(answer: &Value) -> Option<String> {
    field(answer, &["canvas_id", "canvasId"])
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Who a body is for reads the same from the body as from its bytes, wrong types included.
    #[test]
    fn whom_of_a_body_equals_whom_of_its_bytes() {
        let bodies = [
            json!({"canvas_id": "c", "variables": {"d": "x"}, "tags": ["a", "b"]}),
            json!({"application_id": "app", "tags": null}),
            json!({"version_id": "v"}),
            json!({"canvas_id": null, "application_id": "a"}),
            json!({"canvas_id": 5, "tags": ["a"]}),
            json!({"canvas_id": "c", "tags": ["a", 1]}),
            json!({"canvas_id": "c", "tags": "a"}),
            json!({"canvas_id": "c", "application_id": ["x"]}),
        ];
        for body in bodies {
            let map = body.as_object().unwrap();
            let bytes = serde_json::to_vec(&body).unwrap();
            assert_eq!(Whom::of(map), whom(Some(&bytes)), "{body}");
        }
        let read = Whom::of(
            json!({"canvas_id": "c", "tags": ["t"]})
                .as_object()
                .unwrap(),
        );
        assert_eq!(
            (read.canvas.as_deref(), read.tags),
            (Some("c"), vec!["t".to_owned()])
        );
    }

    /// What the ledger reads from the picked parts equals what it read from the whole answer.
    #[test]
    fn picking_the_read_parts_reads_the_same_as_the_whole_answer() {
        let bodies = [
            r#"{"id":"c1","choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":3,"completion_tokens":4},"canvas_id":"cv"}"#,
            r#"{"id":"r1","status":"succeeded","output_content":{"content":{"a":[1,2,{"b":null}]},"information":{"cost":0.5,"inputTokens":3,"output_tokens":4}},"canvasId":"cv2"}"#,
            r#"{"outputContent":"plain","information":{"cost":"0.25"},"id":"r2"}"#,
            r#"{"output_content":null,"usage":{"total_price":"0.1"},"id":7}"#,
            r#"{"metadata":{"usage":{"prompt_tokens":2,"completion_tokens":5,"total_price":"0.0012","currency":"USD"},"other":[true]}}"#,
            r#"{"metadata":"text","usage":[1,2],"information":{"cost":1},"information":{"cost":2}}"#,
            r#"{"usage":{"input_tokens":1},"canvas_id":"a\"b","extra":{"usage":{"prompt_tokens":9}}}"#,
        ];
        for body in bodies {
            let whole: Value = serde_json::from_str(body).unwrap();
            let read = read(body.as_bytes());
            assert_eq!(settled(body.as_bytes()), dropped(body.as_bytes()), "{body}");
            assert_eq!(read.used, used_in(&whole), "{body}");
            assert_eq!(read.canvas, canvas_of(&whole), "{body}");
            let run = whole
                .get("status")
                .and(whole.get("id"))
                .and_then(Value::as_str);
            assert_eq!(read.run.as_deref(), run, "{body}");
        }
        assert_eq!(
            read(br#"{"usage": {"prompt_tokens": 1}} trailing"#),
            Read::default()
        );
        assert_eq!(read(br#"{"no": "tokens here"}"#), Read::default());
        let run = read(br#"{"id": "r9", "status": null, "output_content": "x"}"#);
        assert_eq!(
            (run.run.as_deref(), run.used),
            (Some("r9"), Used::default())
        );
    }

    /// The ledger after one request whose answer `api::call` checked and picked in one pass.
    fn settled(body: &'static [u8]) -> Value {
        let ledger = std::sync::Arc::new(Ledger::default());
        let answer = bytes::Bytes::from_static(body);
        let pending = Pending::new(ledger.clone(), entry(), answer.clone());
        assert!(pending.waits_for(&answer));
        let shape = crate::shape::Shape::Object;
        let picked = crate::shape::pick::check_picking(body, shape, &ANSWER).unwrap();
        pending.settle(&picked);
        ledger.snapshot()
    }

    /// The ledger after one request whose answer no check read (the entry was dropped).
    fn dropped(body: &'static [u8]) -> Value {
        let ledger = std::sync::Arc::new(Ledger::default());
        drop(Pending::new(
            ledger.clone(),
            entry(),
            bytes::Bytes::from_static(body),
        ));
        ledger.snapshot()
    }

    fn entry() -> Entry {
        Entry {
            tags: vec!["t".into()],
            requests: 1,
            attempts: 2,
            ..Entry::default()
        }
    }

    /// A pending entry counts its request once, settled or dropped, and never for an answer
    /// it does not wait for.
    #[test]
    fn a_pending_entry_counts_once() {
        let body: &'static [u8] =
            br#"{"id":"r1","status":"done","output_content":{"information":{"cost":0.5}}}"#;
        let settled = settled(body);
        assert_eq!(settled["all"]["requests"], 1);
        assert_eq!(settled["all"]["attempts"], 2);
        assert_eq!(settled["by_tag"]["t"]["cost"], 0.5);
        let ledger = std::sync::Arc::new(Ledger::default());
        let pending = Pending::new(ledger.clone(), entry(), bytes::Bytes::from_static(body));
        let rewritten = bytes::Bytes::copy_from_slice(body);
        assert!(!pending.waits_for(&rewritten));
        assert!(!pending.waits_for(&bytes::Bytes::from_static(&body[..4])));
        drop(pending);
        assert_eq!(ledger.snapshot(), settled);
    }

    #[test]
    fn reads_every_shape_and_counts_a_polled_run_once() {
        let run = json!({"id": "r1", "status": "succeeded", "output_content": {"information": {"cost": 0.5, "inputTokens": 3, "output_tokens": 4}}});
        let u = used_in(&run);
        assert_eq!((u.input_tokens, u.output_tokens, u.cost), (3, 4, Some(0.5)));
        let dify = json!({"metadata": {"usage": {"prompt_tokens": 2, "completion_tokens": 5, "total_price": "0.0012", "currency": "USD"}}});
        let d = used_in(&dify);
        assert_eq!(
            (d.input_tokens, d.cost, d.currency.as_deref()),
            (2, Some(0.0012), Some("USD"))
        );
        let ledger = Ledger::default();
        for _ in 0..2 {
            ledger.add(Entry {
                canvas: Some("c".into()),
                requests: 1,
                attempts: 1,
                used: u.clone(),
                ..Entry::default()
            });
        }
        let s = ledger.snapshot();
        assert_eq!(s["all"]["requests"], 2);
        assert_eq!(s["by_canvas"]["c"]["cost"], 0.5);
        ledger.reset();
        assert_eq!(ledger.snapshot()["all"]["requests"], 0);
    }
}
