//! Who makes a request: the bearer token read into a [`Principal`], and the gate of the shop's
//! routes. Any missing, malformed, forged or expired token is `401 unauthorized`, with no hint
//! of which; a role the route's row of `routes::ROUTES` does not admit is `403 forbidden`.
//!
//! A function whose routes are the shop's (staff or admins) holds a [`Gate`] (the keys and the
//! accounts) and calls [`Gate::allowed`]; one that only reads the principal holds the [`Keys`]
//! alone and calls [`principal`].

use http::header;
use lambda_http::Request;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use super::request::header_str;
use crate::accounts::Accounts;
use crate::auth::jwt::TokenVerifier;
use crate::auth::{Access, Principal};
use crate::env::{Env, FromEnv, StartError};
use crate::error::ApiError;
use crate::routes;
use crate::secrets::{Keys, LazyKeys};

/// Whether the request carries an `Authorization` header at all.
pub fn has_credentials(request: &Request) -> bool {
    request.headers().contains_key(header::AUTHORIZATION)
}

/// The principal of a request with a valid `Authorization: Bearer <access token>`.
pub fn principal(request: &Request, verifier: &TokenVerifier) -> Result<Principal, ApiError> {
    let header = header_str(request, header::AUTHORIZATION).ok_or(ApiError::Unauthorized)?;
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
        issued_at: claims.iat,
    })
}

/// Who may use the route the request came by (API Gateway's `routeKey`), as `routes::ROUTES`
/// says; `None` for a request that names no route of the table.
pub fn route_access(request: &Request) -> Option<Access> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.route_key.as_deref().and_then(routes::access)
        }
        _ => None,
    }
}

/// The principal of a request to one of the shop's routes: a valid token (else `401`) whose
/// role the route's row admits (else `403`; a route the table does not hold admits nobody),
/// confirmed against the account, so that a demotion or a credential reset ends the access at
/// once.
pub async fn allowed(
    request: &Request,
    verifier: &TokenVerifier,
    accounts: &Accounts,
) -> Result<Principal, ApiError> {
    let principal = principal(request, verifier)?;
    let Some(access) = route_access(request) else {
        tracing::error!("a gated function was reached by a route the route table does not hold");
        return Err(ApiError::Forbidden);
    };
    principal.require(access)?;
    if principal.is_shop() {
        return accounts.confirm_role(principal).await;
    }
    Ok(principal)
}

/// The principal of a signed-in request whose staff and admins have more rights (an order's
/// owner, or the shop): a token that says staff or admin is confirmed against the account, as
/// [`allowed`] does.
pub async fn confirmed(
    request: &Request,
    verifier: &TokenVerifier,
    accounts: &Accounts,
) -> Result<Principal, ApiError> {
    let principal = principal(request, verifier)?;
    if principal.is_shop() {
        return accounts.confirm_role(principal).await;
    }
    Ok(principal)
}

/// The principal of a request that may be anonymous: `None` without an `Authorization` header;
/// a bad token is still `401`. A token that says staff or admin is confirmed as [`allowed`]
/// does.
/// The keys are read (on first use) only when there is a token to check.
pub async fn optional_principal(
    request: &Request,
    keys: &LazyKeys,
    accounts: &Accounts,
) -> Result<Option<Principal>, ApiError> {
    if !has_credentials(request) {
        return Ok(None);
    }
    confirmed(request, keys.get().await?.verifier(), accounts)
        .await
        .map(Some)
}

/// The keys that check tokens and the accounts that confirm an admin: what a function needs to
/// tell who makes a request and what they may do. `Gate` holds the keys from its cold start;
/// [`OptionalGate`], for routes open to anyone, reads them only when a request brings a token.
pub struct Gate<K = Keys> {
    keys: K,
    accounts: Accounts,
}

/// The gate of routes open to anyone, whose signed-in callers see more (the catalog).
pub type OptionalGate = Gate<LazyKeys>;

impl<K: FromEnv> FromEnv for Gate<K> {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self {
            keys: K::from_env(env).await?,
            accounts: Accounts::from_env(env).await?,
        })
    }
}

impl<K> Gate<K> {
    pub fn keys(&self) -> &K {
        &self.keys
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }
}

impl Gate {
    /// The caller, if the route's row admits their role, confirmed; see [`allowed`].
    pub async fn allowed(&self, request: &Request) -> Result<Principal, ApiError> {
        allowed(request, self.keys.verifier(), &self.accounts).await
    }

    /// The signed-in caller, confirmed if they say staff or admin; see [`confirmed`].
    pub async fn confirmed(&self, request: &Request) -> Result<Principal, ApiError> {
        confirmed(request, self.keys.verifier(), &self.accounts).await
    }
}

impl OptionalGate {
    /// The caller, if the request has a token; see [`optional_principal`].
    pub async fn principal(&self, request: &Request) -> Result<Option<Principal>, ApiError> {
        optional_principal(request, &self.keys, &self.accounts).await
    }
}
