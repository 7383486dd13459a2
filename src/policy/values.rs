//! Turning the PBX's `key = value` strings into typed settings with serde.
//!
//! Both PBXs hand us text; this deserializer parses each value by the type
//! its field asks for (numbers, yes/no, enum names, octal modes) and every
//! error carries the key it is about, so the caller can name the line.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};

/// A deserialization error that remembers which key it is about.
#[derive(Debug)]
pub struct ValueError {
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError {
            key: None,
            message: msg.to_string(),
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        ValueError {
            key: Some(field.to_string()),
            message: format!(
                "unknown key '{field}' (known keys: {})",
                expected.join(", ")
            ),
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        ValueError {
            key: None,
            message: format!("'{variant}' is not one of {}", expected.join(", ")),
        }
    }
}

/// One `key = value` entry.
pub struct Entry<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

/// Deserializes a struct from entries.
pub struct EntriesDeserializer<'a> {
    entries: std::slice::Iter<'a, Entry<'a>>,
    current: Option<&'a Entry<'a>>,
}

impl<'a> EntriesDeserializer<'a> {
    pub fn new(entries: &'a [Entry<'a>]) -> Self {
        EntriesDeserializer {
            entries: entries.iter(),
            current: None,
        }
    }
}

impl<'de> de::Deserializer<'de> for EntriesDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for EntriesDeserializer<'de> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        match self.entries.next() {
            None => Ok(None),
            Some(entry) => {
                self.current = Some(entry);
                seed.deserialize(entry.key.into_deserializer())
                    .map(Some)
                    .map_err(|mut e: ValueError| {
                        e.key.get_or_insert_with(|| entry.key.to_string());
                        e
                    })
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        let entry = self.current.expect("value after key");
        seed.deserialize(ValueDeserializer(entry.value))
            .map_err(|mut e| {
                e.key = Some(entry.key.to_string());
                e
            })
    }
}

/// One value, parsed by the type asked for.
struct ValueDeserializer<'a>(&'a str);

impl ValueDeserializer<'_> {
    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, ValueError> {
        self.0
            .trim()
            .parse()
            .map_err(|_| de::Error::custom(format!("'{}' is not {what}", self.0)))
    }
}

macro_rules! parse_number {
    ($($method:ident $visit:ident $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            visitor.$visit(self.parse::<$ty>($what)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        // Asterisk's ast_true()/ast_false() words.
        match self.0.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" | "y" | "t" | "1" | "on" => visitor.visit_bool(true),
            "no" | "false" | "n" | "f" | "0" | "off" => visitor.visit_bool(false),
            _ => Err(de::Error::custom(format!("'{}' is not yes or no", self.0))),
        }
    }

    parse_number! {
        deserialize_u8 visit_u8 u8, "a whole number";
        deserialize_u16 visit_u16 u16, "a whole number";
        deserialize_u32 visit_u32 u32, "a whole number";
        deserialize_u64 visit_u64 u64, "a whole number";
        deserialize_i32 visit_i32 i32, "a whole number";
        deserialize_i64 visit_i64 i64, "a whole number";
        deserialize_f64 visit_f64 f64, "a number";
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_enum(self.0.trim().into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i128 u128 f32 char str string bytes byte_buf unit unit_struct
        seq tuple tuple_struct map struct identifier ignored_any
    }
}
