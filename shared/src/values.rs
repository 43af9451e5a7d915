//! Values that are valid by construction: the helpers their `Deserialize` impls share, so a
//! request body that parses holds only valid values and every bad field is named.

use serde::de::{self, Deserializer, Visitor};

/// Implements `Deserialize` through a `parse` that names what is wrong.
macro_rules! parsed_from_text_impl {
    ($type:ty) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use parsed_from_text_impl as parsed_from_text;

/// Makes `$name(i64)` a whole number within `$min..=$max`: `new` and `get` in code, and read
/// from JSON by [`whole_number`], which names the range of a value outside it.
macro_rules! whole_number_in_impl {
    ($name:ident, $min:expr, $max:expr) => {
        impl $name {
            pub const MIN: i64 = $min;
            pub const MAX: i64 = $max;

            pub fn new(value: i64) -> Option<Self> {
                (Self::MIN..=Self::MAX)
                    .contains(&value)
                    .then_some(Self(value))
            }

            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::values::whole_number(deserializer, Self::MIN, Self::MAX).map(Self)
            }
        }
    };
}
pub(crate) use whole_number_in_impl as whole_number_in;

/// A whole number within `min..=max`. JSON has one number type, so `903.0` is the integer
/// 903 (as JSON Schema's `integer` says); `1.5` and `"903"` are not whole numbers.
pub fn whole_number<'de, D: Deserializer<'de>>(
    deserializer: D,
    min: i64,
    max: i64,
) -> Result<i64, D::Error> {
    struct Whole;
    impl Visitor<'_> for Whole {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(i64::try_from(v).unwrap_or(i64::MAX)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.fract() == 0.0 && v.abs() < 9.0e15 {
                Ok(Some(v as i64))
            } else if v.fract() == 0.0 {
                Ok(Some(if v < 0.0 { i64::MIN } else { i64::MAX }))
            } else {
                Ok(None)
            }
        }
    }
    match deserializer.deserialize_any(Whole)? {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        Some(_) => Err(de::Error::custom(format_args!(
            "must be from {min} to {max}"
        ))),
        None => Err(de::Error::custom("must be a whole number")),
    }
}
