//! Time as the API speaks it: Unix seconds for arithmetic and TTLs, RFC 3339 UTC for clients.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Milliseconds since the Unix epoch, now: to order events within one second.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `2026-11-21T10:15:00Z` for a Unix time.
pub fn rfc3339(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// An instant a client sent (RFC 3339, any offset), as Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(pub i64);

impl<'de> serde::Deserialize<'de> for Instant {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        OffsetDateTime::parse(&text, &Rfc3339)
            .map(|t| Self(t.unix_timestamp()))
            .map_err(|_| {
                serde::de::Error::custom("must be an RFC 3339 time (2026-11-21T10:15:00Z)")
            })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_written_in_utc_with_a_z() {
        assert_eq!(super::rfc3339(1_795_255_700), "2026-11-21T10:08:20Z");
    }
}
