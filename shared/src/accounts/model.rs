//! The values of accounts, valid by construction, and the items they are stored as.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::clock::rfc3339;

/// A normalised email address: trimmed, lower-cased, plausibly deliverable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.len() < 3 || email.len() > 254 {
            return Err("must be an email address");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("must be an email address");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local.chars().all(|c| !c.is_whitespace() && !c.is_control());
        if domain_ok && local_ok {
            Ok(Self(email))
        } else {
            Err("must be an email address")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A display name: 1–100 characters once trimmed, no control or bidi-override characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        crate::text::single_line(raw, 100).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for PersonName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A user as the API shows it: never a hash, never a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

/// What login and refresh return.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub user: User,
}

/// `{"user": ...}`, as the account routes answer.
#[derive(Debug, Serialize)]
pub struct UserEnvelope {
    pub user: User,
}

/// A user as stored (`pk = USER#<id>`, `sk = PROFILE`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserItem {
    pub pk: String,
    pub sk: String,
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Credentials issued before this time (Unix milliseconds) are no longer accepted: refresh
    /// tokens of logins begun before it, reset tokens made before it, and, on admin routes,
    /// access tokens issued before it. Set when the password or the role changes.
    pub tokens_valid_after: i64,
    /// In gsi1 `ACCOUNTS`/email, so that staff find accounts by an email's first letters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    /// The orders of the account that were paid, and what they cost: counted in each payment's
    /// transaction.
    #[serde(default)]
    pub orders_count: i64,
    #[serde(default)]
    pub spent_cents: i64,
}

/// An account as the shop's staff see it.
#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    /// Its paid orders, and what they cost (refunds not taken off).
    pub orders_count: i64,
    pub spent_cents: i64,
}

impl UserItem {
    pub fn customer(&self) -> Customer {
        Customer {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            created_at: rfc3339(self.created_at),
            orders_count: self.orders_count,
            spent_cents: self.spent_cents,
        }
    }

    pub fn view(&self) -> User {
        User {
            id: self.id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            created_at: rfc3339(self.created_at),
        }
    }
}

/// A refresh token, stored by its hash (`pk = REFRESH#<sha256>`, `sk = REFRESH`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshItem {
    pub pk: String,
    pub sk: String,
    pub user_id: String,
    /// The login this token descends from; every rotation keeps it.
    pub family: String,
    /// When the login began, in Unix milliseconds (compared with `tokens_valid_after`).
    pub family_started: i64,
    pub expires_at: i64,
    pub ttl: i64,
    /// Set when the token was exchanged for a new one: presenting it again is reuse. Absent
    /// (not NULL) until then: the rotation's condition is `attribute_not_exists(rotated_at)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotated_at: Option<i64>,
}

/// A password-reset token, stored by its hash (`pk = RESET#<sha256>`, `sk = RESET`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResetItem {
    pub pk: String,
    pub sk: String,
    pub user_id: String,
    /// When it was made, Unix milliseconds: it works only while the user's
    /// `tokens_valid_after` is not later, so a reset or a password change spends every other.
    pub created_ms: i64,
    pub expires_at: i64,
    pub ttl: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").map(|e| e.0),
            Ok("alice@example.com".to_owned())
        );
    }

    #[test]
    fn things_that_are_not_emails_are_refused() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@.com",
            "alice@example.com.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("  Alice  ").map(|n| n.0),
            Ok("Alice".to_owned())
        );
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"a".repeat(101)).is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
        assert!(PersonName::parse("evil\u{202e}gnp.exe").is_err());
    }
}
