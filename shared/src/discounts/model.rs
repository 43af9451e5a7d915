//! Discount codes: what an admin sends (valid by construction), the stored code with its count
//! of redemptions, its view, and the pure decision whether a code applies to an order.

use serde::{Deserialize, Serialize};

use crate::catalog::model::Cents;
use crate::clock::{Instant, rfc3339};
use crate::error::{ApiError, FieldError};
use crate::pricing;
use crate::values::{parsed_from_text, whole_number_in};

/// A code as customers type it: 3–32 of `A-Z`, `0-9` and `-`, matched case-insensitively
/// (stored upper-cased).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(String);

impl Code {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        let ok = (3..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(code))
        } else {
            Err("must be 3-32 letters, digits or '-'")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
parsed_from_text!(Code);

impl std::str::FromStr for Code {
    type Err = &'static str;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `value` percent of the subtotal (1–100).
    Percent,
    /// `value` cents off, at most the subtotal.
    Fixed,
}

/// A code's value: a percent (1–100) or cents (1–100,000,000), as its kind says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value(i64);

whole_number_in!(Value, 1, 100_000_000);

/// How many times a code may be used: 1–1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(i64);

whole_number_in!(Limit, 1, 1_000_000);

/// `POST /admin/discounts`'s body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDiscount {
    pub code: Code,
    pub kind: Kind,
    pub value: Value,
    #[serde(default)]
    pub min_subtotal_cents: Option<Cents>,
    #[serde(default)]
    pub starts_at: Option<Instant>,
    #[serde(default)]
    pub ends_at: Option<Instant>,
    #[serde(default)]
    pub max_redemptions: Option<Limit>,
    #[serde(default)]
    pub max_per_customer: Option<Limit>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl crate::http::Input for NewDiscount {
    const REQUIRED: &'static [&'static str] = &["code", "kind", "value"];
}

/// `PATCH /admin/discounts/{code}`'s body: the fields sent change, the others stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountPatch {
    #[serde(default)]
    pub kind: Option<Kind>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub min_subtotal_cents: Option<Cents>,
    #[serde(default)]
    pub starts_at: Option<Instant>,
    #[serde(default)]
    pub ends_at: Option<Instant>,
    #[serde(default)]
    pub max_redemptions: Option<Limit>,
    #[serde(default)]
    pub max_per_customer: Option<Limit>,
    #[serde(default)]
    pub active: Option<bool>,
}

impl crate::http::Input for DiscountPatch {
    const REQUIRED: &'static [&'static str] = &[];
}

/// A discount code as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountItem {
    pub pk: String,
    pub sk: String,
    pub gsi1pk: String,
    pub gsi1sk: String,
    pub code: String,
    pub kind: Kind,
    pub value: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_subtotal_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_redemptions: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_customer: Option<i64>,
    pub active: bool,
    /// Orders that hold the code now (a cancelled or expired one gave its redemption back).
    #[serde(default)]
    pub redemptions: i64,
    /// Every edit adds one; an order's redemption is conditional on the version it priced by.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl DiscountItem {
    pub fn new(new: NewDiscount, listed_as: &str, now: i64) -> Result<Self, ApiError> {
        let code = new.code.0;
        let item = Self {
            pk: super::keys::discount(&code),
            sk: super::keys::DISCOUNT_SK.to_owned(),
            gsi1pk: super::keys::LISTING.to_owned(),
            gsi1sk: listed_as.to_owned(),
            code,
            kind: new.kind,
            value: new.value.get(),
            min_subtotal_cents: new.min_subtotal_cents.map(Cents::get),
            starts_at: new.starts_at.map(|t| t.0),
            ends_at: new.ends_at.map(|t| t.0),
            max_redemptions: new.max_redemptions.map(Limit::get),
            max_per_customer: new.max_per_customer.map(Limit::get),
            active: new.active.unwrap_or(true),
            redemptions: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        item.check()?;
        Ok(item)
    }

    /// The code with `patch` applied (its version one more), or what the patch makes wrong.
    pub fn patched(&self, patch: DiscountPatch, now: i64) -> Result<Self, ApiError> {
        let mut next = self.clone();
        if let Some(kind) = patch.kind {
            next.kind = kind;
        }
        if let Some(value) = patch.value {
            next.value = value.get();
        }
        if let Some(min) = patch.min_subtotal_cents {
            next.min_subtotal_cents = Some(min.get());
        }
        if let Some(at) = patch.starts_at {
            next.starts_at = Some(at.0);
        }
        if let Some(at) = patch.ends_at {
            next.ends_at = Some(at.0);
        }
        if let Some(max) = patch.max_redemptions {
            next.max_redemptions = Some(max.get());
        }
        if let Some(max) = patch.max_per_customer {
            next.max_per_customer = Some(max.get());
        }
        if let Some(active) = patch.active {
            next.active = active;
        }
        next.version += 1;
        next.updated_at = now;
        next.check()?;
        Ok(next)
    }

    /// A percent is 1–100; a window ends after it starts.
    fn check(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if self.kind == Kind::Percent && self.value > 100 {
            errors.push(FieldError::new(
                "value",
                "must be from 1 to 100 for a percent",
            ));
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            errors.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        ApiError::unless_invalid(errors)
    }

    /// What the code takes off an order of `subtotal` at `now`, for a customer who holds it on
    /// `used` orders already; or why it cannot apply.
    pub fn applies(&self, subtotal: i64, now: i64, used: i64) -> Result<pricing::Discount, String> {
        let code = &self.code;
        if !self.active {
            return Err(format!("The code {code} is not active."));
        }
        if self.starts_at.is_some_and(|start| now < start) {
            return Err(format!("The code {code} has not started yet."));
        }
        if self.ends_at.is_some_and(|end| now >= end) {
            return Err(format!("The code {code} has ended."));
        }
        if self
            .max_redemptions
            .is_some_and(|max| self.redemptions >= max)
        {
            return Err(format!("The code {code} is used up."));
        }
        if self.max_per_customer.is_some_and(|max| used >= max) {
            return Err(format!("The code {code} is used up by this customer."));
        }
        if let Some(min) = self.min_subtotal_cents
            && subtotal < min
        {
            return Err(format!(
                "The code {code} needs a subtotal of at least {min} (this order's is {subtotal})."
            ));
        }
        Ok(match self.kind {
            Kind::Percent => pricing::Discount::Percent(self.value),
            Kind::Fixed => pricing::Discount::Fixed(self.value),
        })
    }

    pub fn view(&self) -> Discount {
        Discount {
            code: self.code.clone(),
            kind: self.kind,
            value: self.value,
            min_subtotal_cents: self.min_subtotal_cents,
            starts_at: self.starts_at.map(rfc3339),
            ends_at: self.ends_at.map(rfc3339),
            max_redemptions: self.max_redemptions,
            max_per_customer: self.max_per_customer,
            active: self.active,
            redemptions: self.redemptions,
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

/// A discount code as admins see it.
#[derive(Debug, Clone, Serialize)]
pub struct Discount {
    pub code: String,
    pub kind: Kind,
    pub value: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_subtotal_cents: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_redemptions: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_per_customer: Option<i64>,
    pub active: bool,
    pub redemptions: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// `{"discount": ...}`.
#[derive(Debug, Serialize)]
pub struct DiscountEnvelope {
    pub discount: Discount,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(json: &str) -> Result<DiscountItem, ApiError> {
        let new: NewDiscount =
            serde_json::from_str(json).map_err(|e| ApiError::validation("body", e.to_string()))?;
        DiscountItem::new(new, "01JD000000000000000000000A", 1_000)
    }

    #[test]
    fn codes_are_upper_cased_and_bounded() {
        assert_eq!(
            Code::parse(" summer-10 ").map(|c| c.0),
            Ok("SUMMER-10".to_owned())
        );
        for bad in ["AB", "A B C", "SUMMER_10", &"X".repeat(33), "ÄÖÜ"] {
            assert!(Code::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_percent_is_at_most_100_and_a_window_ends_after_it_starts() {
        assert!(code(r#"{"code": "TEN", "kind": "percent", "value": 10}"#).is_ok());
        assert!(code(r#"{"code": "ALL", "kind": "percent", "value": 100}"#).is_ok());
        assert!(code(r#"{"code": "TOO", "kind": "percent", "value": 101}"#).is_err());
        assert!(code(r#"{"code": "BIG", "kind": "fixed", "value": 100000}"#).is_ok());
        assert!(code(r#"{"code": "NEG", "kind": "fixed", "value": -5}"#).is_err());
        let backwards = r#"{"code": "WIN", "kind": "fixed", "value": 5,
            "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-11-01T00:00:00Z"}"#;
        assert!(code(backwards).is_err());
    }

    #[test]
    fn a_code_says_why_it_cannot_apply() {
        let mut item = code(
            r#"{"code": "WINTER", "kind": "fixed", "value": 500, "min_subtotal_cents": 2000,
                "starts_at": "1970-01-01T00:16:40Z", "ends_at": "1970-01-01T00:33:20Z",
                "max_redemptions": 5, "max_per_customer": 1}"#,
        )
        .unwrap();
        assert_eq!(
            item.applies(2000, 1000, 0),
            Ok(pricing::Discount::Fixed(500))
        );
        let why = |item: &DiscountItem, subtotal, now, used| {
            item.applies(subtotal, now, used).unwrap_err()
        };
        assert!(why(&item, 2000, 999, 0).contains("not started"));
        assert!(why(&item, 2000, 2000, 0).contains("ended"));
        assert!(why(&item, 1999, 1000, 0).contains("at least 2000"));
        assert!(why(&item, 2000, 1000, 1).contains("by this customer"));
        item.redemptions = 5;
        assert!(why(&item, 2000, 1000, 0).contains("used up"));
        item.redemptions = 0;
        item.active = false;
        assert!(why(&item, 2000, 1000, 0).contains("not active"));
    }
}
