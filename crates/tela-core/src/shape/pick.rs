//! Picking some parts of a JSON body as a `Value` without building the rest (the usage
//! ledger reads a few keys of each answer), alone or in the same pass as a shape check:
//! a blocking call's answer was read twice, once for each, about 7k instructions a pass.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Key, Rule, Seed, Shape};

/// Which parts of a JSON value to build: all of it, or some keys of an object (anything
/// else then stands as `null`, present but empty, as `Value::get` would read it).
#[derive(Debug)]
pub enum Keep {
    All,
    Keys(&'static [(&'static str, Keep)]),
}

/// The parts of `body` that `keep` names; nothing when `body` is not JSON.
pub fn pick(body: &[u8], keep: &'static Keep) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let picked = Pick(keep).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(picked)
}

/// Checks `body` against `shape` (as [`super::check`], same errors) and picks the parts
/// `keep` names (as [`pick`]), in one pass.
pub fn check_picking(
    body: &[u8],
    shape: Shape,
    keep: &'static Keep,
) -> std::result::Result<Value, String> {
    let seed = Seed {
        rule: shape.rule(),
        at: "the body",
        top: true,
        marks: None,
        base: body.as_ptr() as usize,
    };
    super::run(body, Both { seed, keep })
}

struct Pick(&'static Keep);

impl<'de> DeserializeSeed<'de> for Pick {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        match self.0 {
            Keep::All => de::Deserialize::deserialize(d),
            Keep::Keys(keys) => d.deserialize_any(PickKeys(keys)),
        }
    }
}

struct PickKeys(&'static [(&'static str, Keep)]);

impl<'de> Visitor<'de> for PickKeys {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(Key(key)) = map.next_key()? {
            match self.0.iter().find(|(name, _)| *name == key) {
                // A repeated key: the last one wins, as in a `Value`.
                Some((name, keep)) => {
                    out.insert((*name).to_owned(), map.next_value_seed(Pick(keep))?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// A shape check and a pick walked together: the check's verdict, the pick's value.
struct Both<'m> {
    seed: Seed<'m>,
    keep: &'static Keep,
}

impl<'de> DeserializeSeed<'de> for Both<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(mut self, d: D) -> Result<Value, D::Error> {
        if let Rule::Mark(_, inner) = self.seed.rule {
            // Marks are for streams; a pick records none.
            self.seed.rule = *inner;
        }
        match self.keep {
            // Built whole (small: `usage`, `information`), then checked from the tree.
            Keep::All => {
                let value: Value = de::Deserialize::deserialize(d)?;
                if !matches!(self.seed.rule, Rule::Any) {
                    self.seed
                        .deserialize(&value)
                        .map_err(<D::Error as de::Error>::custom)?;
                }
                Ok(value)
            }
            Keep::Keys(_) => d.deserialize_any(self),
        }
    }
}

impl Both<'_> {
    /// A value that is not an object: the check's verdict on it, picked as `null`.
    fn other<E>(self, check: impl FnOnce(Seed<'_>) -> Result<(), E>) -> Result<Value, E> {
        if !matches!(self.seed.rule, Rule::Any) {
            check(self.seed)?;
        }
        Ok(Value::Null)
    }
}

impl<'de> Visitor<'de> for Both<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.seed.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let fields = match self.seed.rule {
            Rule::Object(fields) => fields,
            Rule::Any => &[],
            _ => return self.seed.visit_map(map).map(|()| Value::Null),
        };
        let Keep::Keys(keys) = self.keep else {
            unreachable!("a kept-whole value is built before it is checked");
        };
        let mut out = serde_json::Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            let rule = fields.iter().find(|(name, _)| *name == key);
            match (keys.iter().find(|(name, _)| *name == key), rule) {
                // A repeated key: the last one wins, as in a `Value`.
                (Some((name, keep)), rule) => {
                    let rule = rule.map_or(Rule::Any, |(_, rule)| *rule);
                    let seed = self.seed.field(rule, name);
                    out.insert(
                        (*name).to_owned(),
                        map.next_value_seed(Both { seed, keep })?,
                    );
                }
                (None, Some((name, rule))) => map.next_value_seed(self.seed.field(*rule, name))?,
                (None, None) => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if matches!(self.seed.rule, Rule::Any) {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(Value::Null);
        }
        self.seed.visit_seq(seq).map(|()| Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.other(|s| s.visit_bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.other(|s| s.visit_i64(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.other(|s| s.visit_u64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.other(|s| s.visit_f64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.other(|s| s.visit_str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.other(|s| s.visit_unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::check;

    const ITEM: Rule = Rule::Object(&[("inner", Rule::Object(&[("t", Rule::Str)]))]);
    const SHAPE: Shape = Shape::Fields(&[
        ("items", Rule::ListOf(&ITEM)),
        ("kind", Rule::Str),
        ("usage", Rule::Object(&[("unit", Rule::Str)])),
        (
            "meta",
            Rule::Mark(0, &Rule::Object(&[("usage", Rule::Any)])),
        ),
    ]);
    const KEEP: Keep = Keep::Keys(&[
        ("usage", Keep::All),
        ("kind", Keep::All),
        ("meta", Keep::Keys(&[("usage", Keep::All)])),
        ("items", Keep::Keys(&[])),
        ("id", Keep::All),
    ]);

    /// One pass says what the check says, in the same words, and picks what a pick picks.
    #[test]
    fn checking_and_picking_at_once_agrees_with_each_alone() {
        let bodies = [
            r#"{}"#,
            r#"{"id": "x", "usage": {"n": 1, "unit": "tok"}, "text": [1, {"a": null}]}"#,
            r#"{"kind": "k", "meta": {"usage": [1, 2], "x": 1}, "items": [{"inner": {"t": "a"}}]}"#,
            r#"{"usage": null, "meta": null, "items": null, "kind": null}"#,
            r#"{"usage": {"unit": 1}}"#,
            r#"{"usage": 5}"#,
            r#"{"kind": 5, "id": 1}"#,
            r#"{"meta": "text"}"#,
            r#"{"items": [{"inner": {"t": 2}}]}"#,
            r#"{"items": {"a": 1}}"#,
            r#"{"id": "a", "id": "b", "usage": {"u": 1}, "usage": {"u": 2}}"#,
            r#"{"usage": {"unit": "x"}} trailing"#,
            r#"[1, 2]"#,
            r#"null"#,
            "",
            "{broken",
        ];
        for body in bodies {
            let both = check_picking(body.as_bytes(), SHAPE, &KEEP);
            // A value kept whole is checked from its tree: its errors point at its end.
            let column = |m: &str| m.split(" at line ").next().unwrap_or(m).to_owned();
            match check(body.as_bytes(), SHAPE) {
                Ok(()) => assert_eq!(both, Ok(pick(body.as_bytes(), &KEEP).unwrap()), "{body}"),
                Err(alone) => {
                    let both = both.expect_err(body);
                    assert_eq!(column(&both), column(&alone), "{body}");
                }
            }
        }
        let picked = check_picking(
            br#"{"usage": {"unit": "t", "n": 2}, "items": []}"#,
            SHAPE,
            &KEEP,
        );
        assert_eq!(
            picked,
            Ok(serde_json::json!({"usage": {"unit": "t", "n": 2}, "items": null}))
        );
    }
}
