//! Decoding JSON into Rust values the way Go's `encoding/json` decodes into Jaeger's structs,
//! so a strategies file means to Spur exactly what it means to Jaeger:
//!
//! - object keys match field names **case-insensitively** (with Go's folding, where `ſ` is an
//!   `s`), escaped keys included; unknown keys are skipped;
//! - `null` leaves a string or number as it was, and empties a pointer or a slice;
//! - a key given twice decodes into what the first one left: the last value wins for scalars,
//!   while objects and the elements of arrays are *merged* (a second `service_strategies`
//!   array updates the first one's entries in place, then is cut to its own length).
//!
//! Differences from Go, all in input Jaeger cannot use either: a `null` array element is an
//! error (Jaeger dereferences it and crashes); invalid UTF-8 and lone surrogate escapes are
//! errors (Go substitutes U+FFFD); with three or more copies of one array key, Go may reuse
//! elements beyond the current length from its backing array, which is not modelled.
//!
//! Owns the mechanism only; the strategies file's fields are in [`crate::file`].

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A value that JSON can be decoded *into*, keeping what JSON does not overwrite.
pub(crate) trait GoDecode {
    fn decode_into<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error>;
}

/// A struct whose members are decoded one key at a time.
pub(crate) trait GoStruct {
    /// What a value of this type is, for type errors (`"a strategy object"`).
    const EXPECTING: &'static str;

    /// Decodes the value of member `key` from `map`, or skips it when no field matches
    /// (see [`key_matches`] and [`skip_value`]).
    fn decode_member<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error>;
}

/// Decodes a JSON object into `value`, member by member.
pub(crate) fn decode_struct<'de, T: GoStruct, D: Deserializer<'de>>(
    value: &mut T,
    deserializer: D,
) -> Result<(), D::Error> {
    deserializer.deserialize_any(StructVisitor(value))
}

/// Whether JSON key `key` names the field `field` (written in ASCII lowercase) for Go: equal
/// under Unicode simple case folding, which for an ASCII field name means ASCII
/// case-insensitively, plus `ſ` (U+017F) for `s` and the Kelvin sign (U+212A) for `k`.
pub(crate) fn key_matches(key: &str, field: &str) -> bool {
    debug_assert!(field.bytes().all(|b| !b.is_ascii_uppercase()));
    let folded = key.chars().map(|c| match c {
        '\u{17f}' => 's',
        '\u{212a}' => 'k',
        c => c.to_ascii_lowercase(),
    });
    folded.eq(field.chars())
}

/// Skips the value of a member no field matches.
pub(crate) fn skip_value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// Decodes the value of the current member into `field`.
pub(crate) fn member_into<'de, A: MapAccess<'de>, T: GoDecode>(
    map: &mut A,
    field: &mut T,
) -> Result<(), A::Error> {
    map.next_value_seed(InPlace(field))
}

/// Decodes the next value into the borrowed place (a `DeserializeSeed`).
pub(crate) struct InPlace<'a, T>(pub &'a mut T);

impl<'de, T: GoDecode> DeserializeSeed<'de> for InPlace<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0.decode_into(deserializer)
    }
}

struct StructVisitor<'a, T>(&'a mut T);

impl<'de, T: GoStruct> Visitor<'de> for StructVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            self.0.decode_member(&key, &mut map)?;
        }
        Ok(())
    }
}

/// Go `string`: a string replaces it, `null` keeps it.
impl GoDecode for String {
    fn decode_into<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(StringVisitor(self))
    }
}

struct StringVisitor<'a>(&'a mut String);

impl Visitor<'_> for StringVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        value.clone_into(self.0);
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Go `float64`: any JSON number replaces it (rounded to the nearest double), `null` keeps it.
impl GoDecode for f64 {
    fn decode_into<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(FloatVisitor(self))
    }
}

struct FloatVisitor<'a>(&'a mut f64);

impl Visitor<'_> for FloatVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<(), E> {
        *self.0 = value;
        Ok(())
    }

    // Integers convert with round-to-nearest-even, as Go's ParseFloat reads them.
    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        *self.0 = value as f64;
        Ok(())
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        *self.0 = value as f64;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Go pointer `*T`: `null` clears it; an object decodes into the existing value, or a new one.
impl<T: GoDecode + Default> GoDecode for Option<T> {
    fn decode_into<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(OptionVisitor(self))
    }
}

struct OptionVisitor<'a, T>(&'a mut Option<T>);

impl<'de, T: GoDecode + Default> Visitor<'de> for OptionVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object or null")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        self.0
            .get_or_insert_with(T::default)
            .decode_into(deserializer)
    }
}

/// Go slice `[]*T`: `null` empties it; an array decodes element `i` into the existing element
/// `i` when there is one, appends otherwise, then cuts the slice to the array's length.
impl<T: GoDecode + Default> GoDecode for Vec<T> {
    fn decode_into<'de, D: Deserializer<'de>>(&mut self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(SliceVisitor(self))
    }
}

struct SliceVisitor<'a, T>(&'a mut Vec<T>);

impl<'de, T: GoDecode + Default> Visitor<'de> for SliceVisitor<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.clear();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut decoded = 0;
        loop {
            let more = if let Some(existing) = self.0.get_mut(decoded) {
                seq.next_element_seed(InPlace(existing))?.is_some()
            } else {
                let mut element = T::default();
                let more = seq.next_element_seed(InPlace(&mut element))?.is_some();
                if more {
                    self.0.push(element);
                }
                more
            };
            if !more {
                break;
            }
            decoded += 1;
        }
        self.0.truncate(decoded);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_as_in_go() {
        assert!(key_matches("service", "service"));
        assert!(key_matches("SERVICE", "service"));
        assert!(key_matches("ſervice", "service"));
        assert!(key_matches("\u{212a}ey", "key"));
        assert!(!key_matches("services", "service"));
        assert!(!key_matches("servic", "service"));
        assert!(!key_matches("sérvice", "service"));
    }
}
