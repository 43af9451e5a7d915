//! Authentication: passwords, access tokens (JWT), opaque refresh and reset tokens, and who a
//! request's principal is. Reading the principal off an HTTP request is the HTTP layer's
//! (`shared::http::auth`); services take a [`Principal`].

pub mod jwt;
pub mod password;
pub mod tokens;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }
}

/// Who makes a request, as a valid access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    /// When the token was issued (Unix seconds): a token older than the user's
    /// `tokens_valid_after` no longer opens admin routes.
    pub issued_at: i64,
}

impl Principal {
    /// `403 forbidden` unless the token says admin. Admin routes also confirm the role against
    /// the account (`accounts::AdminCheck`), so a demotion takes effect at once.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Customer => Err(ApiError::Forbidden),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
impl Principal {
    /// The principal of a token of `role` for `user_id`, issued at the epoch (unit tests).
    pub(crate) fn with_role(user_id: &str, role: Role) -> Self {
        Self {
            user_id: user_id.to_owned(),
            role,
            issued_at: 0,
        }
    }
}
