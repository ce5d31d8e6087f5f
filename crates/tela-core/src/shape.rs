//! Light shape checks of what the server sent: a body or event the SDK cannot read fails
//! here, with a message, instead of yielding results whose attributes break later.
//!
//! Only the fields the SDK reads are checked; unknown fields are skipped unparsed (serde's
//! `IgnoredAny`), so a new server field never breaks a user and the check allocates nothing.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What one JSON value must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// An object whose listed fields, when present and not null, follow their rules.
    Object(&'static [(&'static str, Rule)]),
    /// A list whose items follow the rule.
    ListOf(&'static Rule),
    Str,
}

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
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("the body is empty; expected a JSON object".into());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let checked = Seed {
        rule: shape.rule(),
        at: "the body",
        top: true,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
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

struct Seed {
    rule: Rule,
    at: &'static str,
    /// The top level must be present: `null` is not an object there.
    top: bool,
}

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.rule {
            Rule::Object(_) => "a JSON object",
            Rule::ListOf(_) => "a list of objects",
            Rule::Str => "a string",
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

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Rule::Object(fields) = self.rule else {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        };
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match fields.iter().find(|(name, _)| *name == key) {
                Some((name, rule)) => map.next_value_seed(Seed {
                    rule: *rule,
                    at: name,
                    top: false,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Rule::ListOf(item) = self.rule else {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        };
        let at = self.at;
        while seq
            .next_element_seed(Seed {
                rule: *item,
                at,
                top: true,
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// An object key, borrowed from the input when it has no escapes: serde's `Cow<str>` always
/// copies, which was one allocation per key of every event checked.
struct Key<'de>(std::borrow::Cow<'de, str>);

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
