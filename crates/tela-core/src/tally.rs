//! What a stream adds up to (its `final()`), whatever the API: the trait each API's stream
//! rules implement (in its folder's `stream.rs`), and the shared lock the totals live under.
//!
//! A tally is counted in the core as batches are handed over, so it matches what the
//! consumer was given (not what the producer read ahead) and Python never walks the events
//! again. The totals sit behind a small lock of their own, apart from the stream's, so a
//! face can read them at any time, even while a read waits on the network.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::shape::Marks;

/// One named field of a stream's totals, as a face hands it over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Total<'a> {
    /// A string.
    Text(&'a str),
    /// A string, or nothing yet.
    MaybeText(Option<&'a str>),
    /// JSON text the face parses (a message, usage), or nothing yet.
    Json(Option<&'a str>),
    /// A count.
    Count(usize),
    Flag(bool),
    /// Binary content (decoded audio, say).
    Bytes(&'a [u8]),
}

/// The running totals of one stream: fed every event payload handed over, read as named
/// fields. Lenient by contract: an event or field of an unexpected shape is skipped, never
/// an error (the stream's rules already checked the shape they rely on).
pub trait Tally: Send + 'static {
    /// Counts one event (its JSON text) into the totals; `marks` are where the fields the
    /// rules' shape marked sit in it (found by the shape check, so not parsed again here).
    fn add(&mut self, event: &str, marks: &Marks);

    /// The totals so far, by name. Names are the face's: each API documents its own.
    fn fields(&self) -> Vec<(&'static str, Total<'_>)>;
}

/// A stream's totals under their own lock: shared by the stream that feeds them and the
/// face that reads them.
#[derive(Clone)]
pub struct Totals(Arc<Mutex<Box<dyn Tally>>>);

impl Totals {
    pub fn new(tally: Box<dyn Tally>) -> Self {
        Totals(Arc::new(Mutex::new(tally)))
    }

    /// The totals, locked. Held only briefly: to add a batch, or to read the fields. A tally
    /// that panicked is still read (its fields are plain data).
    pub fn lock(&self) -> MutexGuard<'_, Box<dyn Tally>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totals").finish_non_exhaustive()
    }
}

/// Helpers for the APIs' tallies, which read a few fields of each event as borrowed,
/// unparsed JSON.
pub mod raw {
    use serde_json::value::RawValue;

    /// The string a raw JSON value holds, if it is a string.
    pub fn string(raw: &RawValue) -> Option<String> {
        text_of(raw.get()).map(std::borrow::Cow::into_owned)
    }

    pub fn is_object(raw: &RawValue) -> bool {
        raw.get().starts_with('{')
    }

    /// The string a JSON value's text holds, if it is a string; borrowed from it when it has
    /// no escapes (the text is valid JSON: the shape check read it).
    pub fn text_of(json: &str) -> Option<std::borrow::Cow<'_, str>> {
        let inner = json.strip_prefix('"')?.strip_suffix('"')?;
        if !inner.contains('\\') {
            return Some(std::borrow::Cow::Borrowed(inner));
        }
        serde_json::from_str::<String>(json)
            .ok()
            .map(std::borrow::Cow::Owned)
    }

    /// Sets `slot` to `text`, reusing its buffer: a field kept from every event costs no
    /// allocation per event.
    pub fn keep(slot: &mut Option<String>, text: &str) {
        match slot {
            Some(kept) => {
                kept.clear();
                kept.push_str(text);
            }
            None => *slot = Some(text.to_owned()),
        }
    }
}
