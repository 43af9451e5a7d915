//! Authentication: passwords, access tokens (JWT), opaque refresh and reset tokens, and who a
//! request's principal is. Reading the principal off an HTTP request is the HTTP layer's
//! (`shared::http::auth`); services take a [`Principal`].

pub mod jwt;
pub mod password;
pub mod tokens;

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What a user may do: a customer buys; staff run the catalog, the orders' shipping, returns
/// and messages; an admin does everything (money, roles, the shop's settings, reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may use a route that asks for `access` (see `routes::ROUTES`).
    pub fn may(self, access: Access) -> bool {
        match access {
            Access::Anyone | Access::SignedIn => true,
            Access::Staff => matches!(self, Role::Staff | Role::Admin),
            Access::Admin => self == Role::Admin,
        }
    }

    /// Whether the shop's own rights come with it: staff and admins.
    pub fn is_shop(self) -> bool {
        self != Role::Customer
    }
}

/// Who may use a route: the one table of it is `routes::ROUTES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token needed (a token, if sent, is still checked).
    Anyone,
    /// Any signed-in account; what it may see is the service's rule (its own orders).
    SignedIn,
    /// Staff and admins: the catalog, orders (list, read, ship, deliver), returns, messages,
    /// customers.
    Staff,
    /// Admins only: refunds, roles, discounts, shipping and tax, settings, webhooks, reports,
    /// stats, the audit log.
    Admin,
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
    /// `403 forbidden` unless the token's role may use what asks for `access`. The gate also
    /// confirms the role against the account (`Accounts::confirm_role`), so a demotion takes
    /// effect at once.
    pub fn require(&self, access: Access) -> Result<(), ApiError> {
        if self.role.may(access) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// `403 forbidden` unless the token says admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.require(Access::Admin)
    }

    /// `403 forbidden` unless the token says staff or admin.
    pub fn require_staff(&self) -> Result<(), ApiError> {
        self.require(Access::Staff)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Staff or admin: the shop's own people.
    pub fn is_shop(&self) -> bool {
        self.role.is_shop()
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
