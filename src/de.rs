//! Python values read straight into the core's serde types (the client settings, the per-call
//! options): the core's types say what is accepted and name what is wrong; this only tells
//! serde what each Python value is. No JSON in between, so a NaN timeout reaches the core's
//! own check instead of failing as "not valid JSON".

use pyo3::prelude::*;
use pyo3::types::PyIterator;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::value::Error;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};

/// One Python value, as serde input.
pub struct Py<'a, 'py>(pub &'a Bound<'py, PyAny>);

fn custom(e: impl std::fmt::Display) -> Error {
    de::Error::custom(e)
}

impl<'de> Deserializer<'de> for Py<'_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let obj = self.0;
        if obj.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return visitor.visit_string(s.to_str().map_err(custom)?.to_owned());
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if obj.cast::<PyInt>().is_ok() {
            return match obj.extract::<i64>() {
                Ok(i) => visitor.visit_i64(i),
                Err(_) => Err(custom(format!("the integer {obj} does not fit in 64 bits"))),
            };
        }
        if let Ok(f) = obj.cast::<PyFloat>() {
            return visitor.visit_f64(f.value());
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            return visitor.visit_map(Map {
                items: d.iter(),
                value: None,
            });
        }
        if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
            return visitor.visit_seq(Seq(obj.try_iter().map_err(custom)?));
        }
        let name = obj.get_type().name().map_err(custom)?.to_string();
        Err(de::Error::invalid_type(Unexpected::Other(&name), &visitor))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.0.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Map<'py> {
    items: pyo3::types::dict::BoundDictIterator<'py>,
    value: Option<Bound<'py, PyAny>>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(Py(&key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| custom("a value without its key"))?;
        seed.deserialize(Py(&value))
    }
}

struct Seq<'py>(Bound<'py, PyIterator>);

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.0.next() {
            Some(item) => seed.deserialize(Py(&item.map_err(custom)?)).map(Some),
            None => Ok(None),
        }
    }
}
