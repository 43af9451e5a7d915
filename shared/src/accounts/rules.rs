//! The accounts' decisions, as pure functions of what was asked and what was read: what a
//! registration and a profile change must hold, what a presented refresh token is worth, and
//! whether a token that says admin still speaks for one. The service reads and writes around
//! them; these tests need no table.

use super::model::{Email, PersonName, RefreshItem};
use super::requests::{ProfileChange, Registration};
use crate::auth::Role;
use crate::auth::password::{self, NewPassword};
use crate::error::{ApiError, FieldError};

/// A registration's fields, each present and the password strong enough (not the email):
/// every problem named at once.
pub fn registration(
    registration: Registration,
) -> Result<(Email, PersonName, NewPassword), ApiError> {
    let mut errors = Vec::new();
    if registration.email.is_none() {
        errors.push(FieldError::new("email", "is required"));
    }
    if registration.name.is_none() {
        errors.push(FieldError::new("name", "is required"));
    }
    match &registration.password {
        None => errors.push(FieldError::new("password", "is required")),
        Some(new) => {
            let email = registration.email.as_ref().map_or("", Email::as_str);
            if let Some(why) = password::weakness(new.as_str(), email) {
                errors.push(FieldError::new("password", why));
            }
        }
    }
    match (registration.email, registration.name, registration.password) {
        (Some(email), Some(name), Some(password)) if errors.is_empty() => {
            Ok((email, name, password))
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

/// A profile change of the account `email`: a new password must be strong enough and come with
/// the current one.
pub fn profile_change(change: &ProfileChange, email: &str) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(new_password) = &change.password {
        if let Some(why) = password::weakness(new_password.as_str(), email) {
            errors.push(FieldError::new("password", why));
        }
        if change.current_password.is_none() {
            errors.push(FieldError::new(
                "current_password",
                "is required to change the password",
            ));
        }
    }
    ApiError::unless_invalid(errors)
}

/// What a presented refresh token is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshVerdict {
    /// Unused and within both lifetimes: it may be exchanged.
    Rotate,
    /// Past its own expiry or its login's longest life: refused, nothing else happens.
    Expired,
    /// Exchanged before: someone holds a copy, so its whole login is revoked.
    Reused,
}

/// The verdict on `token` at `now` (Unix seconds), for a login that lasts `family_max_secs`.
pub fn refresh_verdict(token: &RefreshItem, now: i64, family_max_secs: i64) -> RefreshVerdict {
    let login_over = token.family_started / 1000 + family_max_secs <= now;
    if token.expires_at <= now || login_over {
        RefreshVerdict::Expired
    } else if token.rotated_at.is_some() {
        RefreshVerdict::Reused
    } else {
        RefreshVerdict::Rotate
    }
}

/// Whether a token of `token_role` issued at `issued_at` (whole Unix seconds) still speaks for
/// a staff member or an admin whose account has `role` and whose tokens were revoked at
/// `tokens_valid_after_ms`: the roles must be the same, and one issued in the same second as
/// the revocation is refused too (its holder refreshes, and the new token is later).
pub fn shop_token_holds(
    token_role: Role,
    role: Role,
    tokens_valid_after_ms: i64,
    issued_at: i64,
) -> bool {
    let valid_from = tokens_valid_after_ms.div_euclid(1000)
        + i64::from(tokens_valid_after_ms.rem_euclid(1000) != 0);
    token_role.is_shop() && token_role == role && issued_at >= valid_from
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a validation problem: {other:?}"),
        }
    }

    #[test]
    fn a_registration_names_every_missing_field_and_a_password_that_is_the_email() {
        let all_missing: Registration = serde_json::from_str("{}").unwrap();
        assert_eq!(
            fields(registration(all_missing).unwrap_err()),
            ["email", "name", "password"]
        );
        let email_as_password: Registration = serde_json::from_str(
            r#"{"email": "ann@example.com", "password": "ann@example.com", "name": "Ann"}"#,
        )
        .unwrap();
        assert_eq!(
            fields(registration(email_as_password).unwrap_err()),
            ["password"]
        );
        let good: Registration = serde_json::from_str(
            r#"{"email": " Ann@Example.com", "password": "correct horse battery", "name": "Ann"}"#,
        )
        .unwrap();
        let (email, _, _) = registration(good).unwrap();
        assert_eq!(email.as_str(), "ann@example.com");
    }

    #[test]
    fn a_new_password_needs_the_current_one_and_a_rename_needs_nothing() {
        let rename: ProfileChange = serde_json::from_str(r#"{"name": "Bo"}"#).unwrap();
        assert!(profile_change(&rename, "bo@example.com").is_ok());
        let bare: ProfileChange =
            serde_json::from_str(r#"{"password": "another long password"}"#).unwrap();
        assert_eq!(
            fields(profile_change(&bare, "bo@example.com").unwrap_err()),
            ["current_password"]
        );
        let the_email: ProfileChange =
            serde_json::from_str(r#"{"password": "bo@example.com", "current_password": "x"}"#)
                .unwrap();
        let refused = profile_change(&the_email, "bo@example.com").unwrap_err();
        assert_eq!(fields(refused), ["password"]);
    }

    fn token(started_ms: i64, expires_at: i64, rotated_at: Option<i64>) -> RefreshItem {
        RefreshItem {
            pk: "REFRESH#h".into(),
            sk: "REFRESH".into(),
            user_id: "u1".into(),
            family: "f1".into(),
            family_started: started_ms,
            expires_at,
            ttl: expires_at,
            rotated_at,
        }
    }

    #[test]
    fn a_refresh_token_rotates_once_within_both_lifetimes() {
        use RefreshVerdict::{Expired, Reused, Rotate};
        let day = 86_400;
        let fresh = token(1_000_000, 1_000 + day, None);
        let spent = token(1_000_000, 1_000 + day, Some(1_200));
        // (token, now, the login's longest life, verdict): at its expiry exactly, and at the
        // login's longest life exactly, it is over; once exchanged, presenting it again is
        // reuse, which revokes the login (unless the token is over anyway).
        let cases = [
            (&fresh, 1_500, 90 * day, Rotate),
            (&fresh, 1_000 + day, 90 * day, Expired),
            (&fresh, 1_000 + 60, 60, Expired),
            (&spent, 1_500, 90 * day, Reused),
            (&spent, 1_000 + day, 90 * day, Expired),
        ];
        for (token, now, longest, verdict) in cases {
            assert_eq!(refresh_verdict(token, now, longest), verdict, "at {now}");
        }
    }

    #[test]
    fn a_shop_token_holds_for_its_own_role_only_from_the_second_after_a_revocation() {
        // Revoked at 1000.250 s: a token of second 1000 is refused, one of 1001 holds.
        assert!(!shop_token_holds(
            Role::Admin,
            Role::Admin,
            1_000_250,
            1_000
        ));
        assert!(shop_token_holds(Role::Admin, Role::Admin, 1_000_250, 1_001));
        // Revoked at 1000.000 s exactly: second 1000 holds.
        assert!(shop_token_holds(Role::Admin, Role::Admin, 1_000_000, 1_000));
        assert!(shop_token_holds(Role::Staff, Role::Staff, 0, 5_000));
        assert!(!shop_token_holds(Role::Customer, Role::Customer, 0, 5_000));
        assert!(
            !shop_token_holds(Role::Admin, Role::Staff, 0, 5_000),
            "demoted to staff"
        );
        assert!(!shop_token_holds(Role::Staff, Role::Admin, 0, 5_000));
    }
}
