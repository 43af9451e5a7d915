//! The ids of the API: ULIDs, 26 characters of Crockford's base32, so id order is creation order.
//!
//! A path id is checked before anything is read: a string that cannot be an id is a `404`
//! straight away, never a key that DynamoDB refuses (a 2,000-character id is over its key limit).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    /// A new id, later than every id made before it by this process.
    pub fn new() -> Self {
        Self(ulid::Ulid::new().to_string())
    }

    /// The id in `text`, in its canonical (upper-case) spelling; `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != ulid::ULID_LEN {
            return None;
        }
        // Only the canonical spelling (in either case): no overflowing first character, no
        // look-alike letters, so one id has one spelling.
        let canonical = ulid::Ulid::from_string(text).ok()?.to_string();
        canonical
            .eq_ignore_ascii_case(text)
            .then_some(Self(canonical))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom("must be an id"))
    }
}

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn ids_are_ulids_in_canonical_spelling() {
        let id = Id::new();
        assert_eq!(Id::parse(id.as_str()), Some(id.clone()));
        assert_eq!(
            Id::parse(&id.as_str().to_ascii_lowercase()),
            Some(id),
            "lower case is the same id"
        );
    }

    #[test]
    fn anything_else_is_not_an_id() {
        for bad in [
            "",
            "01JD5X8Y9Z0A1B2C3D4E5F6G7",
            "01JD5X8Y9Z0A1B2C3D4E5F6G7HH",
            "01NOSUCHUSER0000000000000U",
            "ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "01JD5X8Y9Z0A1B2C3D4E5F6G7\u{e9}",
        ] {
            assert_eq!(Id::parse(bad), None, "{bad}");
        }
        assert!(Id::parse(&"0".repeat(2100)).is_none());
    }
}
