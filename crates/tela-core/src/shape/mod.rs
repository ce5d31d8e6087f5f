//! Light shape checks of what the server sent: a body or event the SDK cannot read fails
//! here, with a message, instead of yielding results whose attributes break later.
//!
//! Only the fields the SDK reads are checked; unknown fields are skipped unparsed (serde's
//! `IgnoredAny`), so a new server field never breaks a user and the check allocates nothing.
//!
//! A shape can also *mark* fields ([`Rule::Mark`]): the check records where each marked
//! value sits in the body ([`Marks`]), so a stream's tally reads them without parsing the
//! event again (one pass over each event instead of three).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

pub mod pick;

/// What one JSON value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// An object whose listed fields, when present and not null, follow their rules.
    Object(&'static [(&'static str, Rule)]),
    /// A list whose items follow the rule. Marks inside it are taken from the first item only.
    ListOf(&'static Rule),
    Str,
    /// Anything.
    Any,
    /// A value that follows the rule and whose place in the body is recorded in the given
    /// slot of [`Marks`] (for an object field; elsewhere only the rule applies).
    Mark(usize, &'static Rule),
}

/// How many fields one shape can mark.
pub const MAX_MARKS: usize = 6;

/// Where a marked value sits in a checked body: its byte range, or nothing when the field
/// was absent (or sat outside the first item of a list).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The marked value's JSON text in `body` (the body the check read).
    pub fn of<'a>(&self, body: &'a str) -> Option<&'a str> {
        if self.end == 0 {
            return None;
        }
        body.get(self.start as usize..self.end as usize)
    }
}

/// The places of the values a shape marked, by slot.
pub type Marks = [Span; MAX_MARKS];

/// The shape a caller expects. Each API declares the shapes of its own answers and events
/// (in its folder's `stream.rs`) as the fields they must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Any JSON object.
    Object,
    /// An object whose listed fields, when present and not null, follow their rules.
    Fields(&'static [(&'static str, Rule)]),
}

impl Shape {
    fn rule(self) -> Rule {
        match self {
            Shape::Object => Rule::Object(&[]),
            Shape::Fields(fields) => Rule::Object(fields),
        }
    }
}

/// Checks that `body` is JSON of the expected shape; the error says what is wrong.
pub fn check(body: &[u8], shape: Shape) -> std::result::Result<(), String> {
    walk(body, shape, None)
}

/// Like [`check`], and records where the shape's marked fields sit in `body`.
pub fn check_marking(body: &str, shape: Shape) -> std::result::Result<Marks, String> {
    let mut marks = Marks::default();
    walk(body.as_bytes(), shape, Some(&mut marks))?;
    Ok(marks)
}

fn walk(body: &[u8], shape: Shape, marks: Option<&mut Marks>) -> std::result::Result<(), String> {
    let seed = Seed {
        rule: shape.rule(),
        at: "the body",
        top: true,
        marks,
        base: body.as_ptr() as usize,
    };
    run(body, seed)
}

/// Runs `seed` over the whole of `body`; the error says what is wrong and shows the body.
fn run<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    seed: S,
) -> std::result::Result<S::Value, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty; expected a JSON object".into());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let checked = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    checked.map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            format!("the body is not JSON ({e}): {}", preview(body))
        } else {
            format!("{e}: {}", preview(body))
        }
    })
}

/// The start of a body, for error messages.
pub fn preview(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX * 4)]);
    let mut out: String = text.chars().take(MAX).collect();
    if out.len() < text.len() || body.len() > MAX * 4 {
        out.push_str("...");
    }
    format!("{out:?}")
}

struct Seed<'m> {
    rule: Rule,
    at: &'static str,
    /// The top level must be present: `null` is not an object there.
    top: bool,
    /// Where marked fields are recorded; `None` where nothing is marked (a plain check, or
    /// past the first item of a list).
    marks: Option<&'m mut Marks>,
    /// The address of the body's first byte: spans are offsets from it.
    base: usize,
}

impl Seed<'_> {
    /// A field's value is checked by `rule` with the same marks and base.
    fn field(&mut self, rule: Rule, at: &'static str) -> Seed<'_> {
        Seed {
            rule,
            at,
            top: false,
            marks: self.marks.as_deref_mut(),
            base: self.base,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(mut self, d: D) -> Result<(), D::Error> {
        match self.rule {
            Rule::Any => d.deserialize_ignored_any(IgnoredAny).map(|_| ()),
            Rule::Mark(_, inner) => {
                self.rule = *inner;
                self.deserialize(d)
            }
            _ => d.deserialize_any(self),
        }
    }
}

/// A marked field: its raw text is borrowed from the body (one scan) to record its span,
/// then checked against its rule; an object is walked again for the marks inside it.
fn marked<'de, A: MapAccess<'de>>(
    map: &mut A,
    mut seed: Seed<'_>,
    slot: usize,
) -> Result<(), A::Error> {
    let raw: &'de RawValue = map.next_value()?;
    let text = raw.get();
    let start = (text.as_ptr() as usize).wrapping_sub(seed.base);
    if let (Some(marks), Ok(start), Ok(end)) = (
        seed.marks.as_deref_mut(),
        u32::try_from(start),
        u32::try_from(start + text.len()),
    ) && let Some(span) = marks.get_mut(slot)
    {
        *span = Span { start, end };
    }
    if matches!(seed.rule, Rule::Any) {
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_str(text);
    seed.deserialize(&mut de).map_err(|e| {
        // The error's position is within the field; the outer one adds the body's.
        let message = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        de::Error::custom(message.strip_suffix(&at).unwrap_or(&message))
    })
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.rule {
            Rule::Object(_) => "a JSON object",
            Rule::ListOf(_) => "a list of objects",
            Rule::Str => "a string",
            Rule::Any | Rule::Mark(..) => "any JSON value",
        };
        write!(f, "{} to be {what}", self.at)
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if self.top {
            return Err(E::invalid_type(de::Unexpected::Unit, &self));
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.rule {
            Rule::Str => Ok(()),
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let Rule::Object(fields) = self.rule else {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        };
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match fields.iter().find(|(name, _)| *name == key) {
                Some((name, Rule::Mark(slot, rule))) if self.marks.is_some() => {
                    marked(&mut map, self.field(**rule, name), *slot)?
                }
                Some((name, rule)) => map.next_value_seed(self.field(*rule, name))?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let Rule::ListOf(item) = self.rule else {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        };
        // Only the first item is marked: `take` leaves `None` for the rest.
        let mut marks = self.marks.take();
        loop {
            let item = Seed {
                rule: *item,
                at: self.at,
                top: true,
                marks: marks.take(),
                base: self.base,
            };
            if seq.next_element_seed(item)?.is_none() {
                return Ok(());
            }
        }
    }
}

/// An object key, borrowed from the input when it has no escapes: serde's `Cow<str>` always
/// copies, which was one allocation per key of every event checked.
pub(crate) struct Key<'de>(pub(crate) std::borrow::Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: Rule = Rule::Object(&[("inner", Rule::Object(&[]))]);
    const SHAPE: Shape = Shape::Fields(&[("items", Rule::ListOf(&ITEM)), ("kind", Rule::Str)]);

    #[test]
    fn objects_pass_and_unknown_fields_are_free() {
        for ok in [
            r#"{}"#,
            r#"{"items": [], "x": [1, {"y": null}]}"#,
            r#"{"items": [{"inner": {"content": "hi"}, "extra": 5}], "kind": "k"}"#,
            r#"{"items": null, "kind": null}"#,
        ] {
            assert_eq!(check(ok.as_bytes(), SHAPE), Ok(()), "{ok}");
        }
        assert!(check(br#"{"kind": 5}"#, Shape::Object).is_ok());
    }

    #[test]
    fn escaped_keys_are_read_like_plain_ones() {
        // "\u006bind" is "kind": a key with an escape cannot be borrowed and is copied.
        let err = check(br#"{"\u006bind": 5}"#, SHAPE).unwrap_err();
        assert!(err.contains("kind to be a string"), "{err}");
        assert_eq!(check(br#"{"\u006bind": "k"}"#, SHAPE), Ok(()));
    }

    const MARKED_ITEM: Rule = Rule::Object(&[("v", Rule::Mark(0, &Rule::Any))]);
    const MARKED: Shape = Shape::Fields(&[
        ("items", Rule::ListOf(&MARKED_ITEM)),
        (
            "obj",
            Rule::Mark(1, &Rule::Object(&[("in", Rule::Mark(2, &Rule::Str))])),
        ),
        ("n", Rule::Mark(3, &Rule::Any)),
    ]);

    #[test]
    fn marks_point_at_the_values_of_the_first_item_and_inside_marked_objects() {
        let body =
            r#"{"n": 12, "items": [{"v": "a\"b"}, {"v": "second"}], "obj": {"in": "x", "z": [1]}}"#;
        let marks = check_marking(body, MARKED).unwrap();
        let at = |slot: usize| marks[slot].of(body);
        assert_eq!(at(0), Some(r#""a\"b""#));
        assert_eq!(at(1), Some(r#"{"in": "x", "z": [1]}"#));
        assert_eq!(at(2), Some(r#""x""#));
        assert_eq!(at(3), Some("12"));
        assert_eq!(at(4), None);

        let marks = check_marking(r#"{"items": [], "obj": null}"#, MARKED).unwrap();
        assert_eq!(marks[0], Span::default());
        assert_eq!(marks[2], Span::default());
        assert_eq!(marks[1].of(r#"{"items": [], "obj": null}"#), Some("null"));
    }

    #[test]
    fn a_marked_field_is_checked_like_an_unmarked_one() {
        // The same problem in the same words as a plain check (only the column differs:
        // a marked object is walked from its raw text).
        let said = "invalid type: integer `5`, expected in to be a string at line 1 column";
        let body = r#"{"obj": {"in": 5}}"#;
        let marked = check_marking(body, MARKED).unwrap_err();
        let plain = check(body.as_bytes(), MARKED).unwrap_err();
        assert!(marked.starts_with(said), "{marked}");
        assert!(plain.starts_with(said), "{plain}");
        let err = check_marking(r#"{"obj": 5}"#, MARKED).unwrap_err();
        assert!(err.contains("expected obj to be a JSON object"), "{err}");
        assert!(check_marking(r#"{"items": [{"v": 1}, 5]}"#, MARKED).is_err());
    }

    #[test]
    fn wrong_shapes_are_named() {
        for (bad, says) in [
            ("42", "a JSON object"),
            (r#""text""#, "a JSON object"),
            ("[1,2]", "a JSON object"),
            ("null", "a JSON object"),
            ("", "empty"),
            ("  \n", "empty"),
            (r#"{"items": 5}"#, "items to be a list of objects"),
            (r#"{"items": [5]}"#, "items to be a JSON object"),
            (
                r#"{"items": [{"inner": "x"}]}"#,
                "inner to be a JSON object",
            ),
            (r#"{"kind": 5}"#, "kind to be a string"),
            ("{not json", "not JSON"),
            (r#"{"a":1} trailing"#, "not JSON"),
        ] {
            let err = check(bad.as_bytes(), SHAPE).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
