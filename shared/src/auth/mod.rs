//! Authentication: passwords, access tokens (JWT), opaque refresh and reset tokens, and the
//! extractor that turns a request into the principal making it.

pub mod jwt;
pub mod password;
pub mod tokens;

use lambda_http::Request;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::http::header_str;

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

/// Who makes a request, as its access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
}

impl Principal {
    /// `403 forbidden` unless the principal is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Customer => Err(ApiError::Forbidden),
        }
    }
}

/// The principal of a request with a valid `Authorization: Bearer <access token>`; any missing,
/// malformed, forged or expired token is `401 unauthorized`, with no hint of which.
pub fn authenticate(request: &Request, verifier: &jwt::TokenIssuer) -> Result<Principal, ApiError> {
    let header = header_str(request, lambda_http::http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?;
    let (scheme, token) = header.split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    let claims = verifier
        .verify(token.trim(), crate::clock::now())
        .map_err(|_| ApiError::Unauthorized)?;
    Ok(Principal {
        user_id: claims.sub,
        role: claims.role,
    })
}
