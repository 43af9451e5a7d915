//! The bodies of the account routes, as the HTTP layer reads them ([`Input`]).

use serde::Deserialize;

use super::Email;
use super::model::PersonName;
use crate::auth::Role;
use crate::auth::password::NewPassword;
use crate::http::Input;

/// `POST /auth/register`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    pub email: Option<Email>,
    pub password: Option<NewPassword>,
    pub name: Option<PersonName>,
}

/// `PATCH /me`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub name: Option<PersonName>,
    pub password: Option<NewPassword>,
    pub current_password: Option<String>,
}

impl Input for Registration {
    const REQUIRED: &'static [&'static str] = &["email", "password", "name"];
}

impl Input for ProfileChange {
    const REQUIRED: &'static [&'static str] = &[];
}

/// `POST /auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl Input for Credentials {
    const REQUIRED: &'static [&'static str] = &["email", "password"];
}

/// `POST /auth/refresh` and `POST /auth/logout`: the refresh token of a login.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshToken {
    pub refresh_token: String,
}

impl Input for RefreshToken {
    const REQUIRED: &'static [&'static str] = &["refresh_token"];
}

/// `POST /auth/password-reset`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: Email,
}

impl Input for ResetRequest {
    const REQUIRED: &'static [&'static str] = &["email"];
}

/// `POST /auth/password-reset/confirm`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmation {
    pub token: String,
    pub password: String,
}

impl Input for ResetConfirmation {
    const REQUIRED: &'static [&'static str] = &["token", "password"];
}

/// `POST /admin/users/{id}/role`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRole {
    pub role: Role,
}

impl Input for SetRole {
    const REQUIRED: &'static [&'static str] = &["role"];
}
