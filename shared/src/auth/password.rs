//! Password hashing with Argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane), stored as a
//! PHC string so the parameters travel with each hash and can be raised later: a hash made with
//! older parameters still verifies, and is reported for re-hashing.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::ApiError;

pub const MEMORY_KIB: u32 = 19_456;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;

fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with a fresh random salt.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ApiError::internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(e.to_string()))?;
    let hash = hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(hash.to_string())
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// The password matches; `rehash` when the stored hash uses other parameters than today's.
    Match {
        rehash: bool,
    },
    Mismatch,
}

/// Checks a password against a stored PHC string.
pub fn verify(password: &str, stored: &str) -> Result<Verified, ApiError> {
    let parsed = PasswordHash::new(stored).map_err(|e| ApiError::internal(e.to_string()))?;
    // Verifying with the parameters recorded in the hash itself.
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(Verified::Match {
            rehash: !uses_current_parameters(&parsed),
        }),
        Err(argon2::password_hash::Error::Password) => Ok(Verified::Mismatch),
        Err(e) => Err(ApiError::internal(e.to_string())),
    }
}

fn uses_current_parameters(hash: &PasswordHash<'_>) -> bool {
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    hash.algorithm.as_str() == "argon2id"
        && params.m_cost() == MEMORY_KIB
        && params.t_cost() == PASSES
        && params.p_cost() == LANES
}

/// Spends the time of one verification against a hash of today's parameters, for a login whose
/// email matches no account: the answer then takes as long as a wrong password's.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash("no account has this password").ok()) {
        let _ = verify(password, stored);
    }
}

/// A password someone chooses: 10–128 characters. Whether it is the account's email is
/// checked where both are known ([`weakness`]).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match weakness(raw, "") {
            Some(why) => Err(why),
            None => Ok(Self(raw.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl<'de> serde::Deserialize<'de> for NewPassword {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a new password is refused, if it is.
pub fn weakness(password: &str, email: &str) -> Option<&'static str> {
    let length = password.chars().count();
    if length < 10 {
        Some("must be at least 10 characters")
    } else if length > 128 {
        Some("must be at most 128 characters")
    } else if !email.is_empty() && password.trim().eq_ignore_ascii_case(email.trim()) {
        Some("must not be the email address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_an_argon2id_phc_string_that_verifies() {
        let stored = hash("correct horse battery").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(
            verify("correct horse battery", &stored).unwrap(),
            Verified::Match { rehash: false }
        );
        assert_eq!(
            verify("correct horse batterY", &stored).unwrap(),
            Verified::Mismatch
        );
    }

    #[test]
    fn two_hashes_of_one_password_differ() {
        assert_ne!(
            hash("same password!").unwrap(),
            hash("same password!").unwrap()
        );
    }

    #[test]
    fn a_hash_with_weaker_parameters_verifies_and_asks_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let stored = weak
            .hash_password(b"an old password", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify("an old password", &stored).unwrap(),
            Verified::Match { rehash: true }
        );
    }

    #[test]
    fn weak_passwords_are_named() {
        assert_eq!(
            weakness("short", "a@b.c"),
            Some("must be at least 10 characters")
        );
        assert_eq!(
            weakness(&"x".repeat(129), "a@b.c"),
            Some("must be at most 128 characters")
        );
        assert_eq!(
            weakness("Alice@Example.com", "alice@example.com"),
            Some("must not be the email address")
        );
        assert_eq!(weakness("ten chars!", "a@b.c"), None);
        // Characters, not bytes: ten accented letters are ten characters.
        assert_eq!(weakness("éééééééééé", "a@b.c"), None);
    }
}
