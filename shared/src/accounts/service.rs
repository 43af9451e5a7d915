//! The rules of accounts: what each route does, independent of HTTP.

use serde::Serialize;

use super::model::{Email, RefreshItem, ResetItem, User, UserItem, parse_name};
use super::repo::{self, Rotation};
use crate::auth::jwt::TokenIssuer;
use crate::auth::password::{self, Verified};
use crate::auth::tokens::{new_token, opaque_key, token_hash};
use crate::auth::{Principal, Role};
use crate::clock::now_ms;
use crate::config::{ConfigError, optional_number, optional_string};
use crate::db::Table;
use crate::email::{Email as Mail, Mailer};
use crate::error::{ApiError, FieldError};
use crate::rate_limit::Window;

/// Settings of accounts, from the environment (each has a default).
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// `REFRESH_TOKEN_TTL_SECONDS` (default 30 days): how long a login lasts unused.
    pub refresh_ttl_secs: i64,
    /// 5 failed logins per account per `LOGIN_LOCKOUT_WINDOW_SECONDS` (default 900).
    pub lockout: Window,
    /// `PASSWORD_RESET_TTL_SECONDS` (default 1800): how long a reset link works.
    pub reset_ttl_secs: i64,
    /// 3 reset emails per account per hour.
    pub reset_rate: Window,
    /// `PASSWORD_RESET_URL`: the shop's page that takes `?token=`; the emailed link.
    pub reset_url: String,
}

impl AccountSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            refresh_ttl_secs: optional_number("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600)?,
            lockout: Window {
                limit: 5,
                length_secs: optional_number("LOGIN_LOCKOUT_WINDOW_SECONDS", 900)?,
            },
            reset_ttl_secs: optional_number("PASSWORD_RESET_TTL_SECONDS", 1800)?,
            reset_rate: Window {
                limit: 3,
                length_secs: 3600,
            },
            reset_url: optional_string(
                "PASSWORD_RESET_URL",
                "http://localhost:5173/reset-password",
            ),
        })
    }
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

/// The parts of `PATCH /me`.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub password: Option<String>,
    pub current_password: Option<String>,
}

/// Accounts and what they need: the table, the token issuer (for the functions that issue or
/// check tokens), the mailer (for the one that sends resets).
pub struct Accounts {
    pub table: Table,
    pub settings: AccountSettings,
    pub issuer: Option<TokenIssuer>,
    pub mailer: Option<Mailer>,
}

fn validation(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

impl Accounts {
    fn issuer(&self) -> Result<&TokenIssuer, ApiError> {
        self.issuer
            .as_ref()
            .ok_or_else(|| ApiError::internal("this function has no token issuer"))
    }

    /// The principal of a request's bearer token (401 if there is no valid one).
    pub fn authenticate(&self, request: &lambda_http::Request) -> Result<Principal, ApiError> {
        crate::auth::authenticate(request, self.issuer()?)
    }

    fn lockout_key(email: &str) -> String {
        format!("login#{}", opaque_key(email))
    }

    /// `POST /auth/register`.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: &str,
        now: i64,
    ) -> Result<User, ApiError> {
        let mut errors = Vec::new();
        let email = Email::parse(email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let name = parse_name(name)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        if let Some(why) = password::weakness(password, email.as_ref().map_or("", Email::as_str)) {
            errors.push(FieldError::new("password", why));
        }
        validation(errors)?;
        let (Some(email), Some(name)) = (email, name) else {
            return Err(ApiError::internal("validated fields are missing"));
        };
        self.create(email, name, password, Role::Customer, now)
            .await
    }

    async fn create(
        &self,
        email: Email,
        name: String,
        password: &str,
        role: Role,
        now: i64,
    ) -> Result<User, ApiError> {
        let id = ulid::Ulid::new().to_string();
        let user = UserItem {
            pk: repo::user_pk(&id),
            sk: repo::USER_SK.to_owned(),
            id,
            email: email.as_str().to_owned(),
            name,
            role,
            password_hash: password::hash(password)?,
            created_at: now,
            updated_at: now,
            tokens_valid_after: 0,
        };
        repo::create_user(&self.table, &user).await?;
        tracing::info!(user.id = %user.id, "account created");
        Ok(user.view())
    }

    /// `POST /auth/login`: the same 401, in about the same time, for a wrong password and an
    /// unknown email; 429 after five failures for the account within the window.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let Ok(email) = Email::parse(email) else {
            password::verify_dummy(password);
            return Err(ApiError::InvalidCredentials);
        };
        let key = Self::lockout_key(email.as_str());
        self.settings.lockout.check(&self.table, &key, now).await?;
        let user = repo::user_by_email(&self.table, email.as_str()).await?;
        let verified = match &user {
            Some(user) => password::verify(password, &user.password_hash)?,
            None => {
                password::verify_dummy(password);
                Verified::Mismatch
            }
        };
        let (Some(mut user), Verified::Match { rehash }) = (user, verified) else {
            tracing::info!("login failed");
            // The failure that reaches the limit is still a 401; the next attempt gets the 429.
            let _ = self.settings.lockout.hit(&self.table, &key, now).await;
            return Err(ApiError::InvalidCredentials);
        };
        if rehash {
            user = repo::set_password(&self.table, &user.id, &password::hash(password)?, None, now)
                .await?;
        }
        Window::clear(&self.table, &key).await?;
        let family = ulid::Ulid::new().to_string();
        let pair = self.issue_pair(&user, family, now_ms(), now).await?;
        tracing::info!(user.id = %user.id, "logged in");
        Ok(pair)
    }

    fn refresh_item(
        &self,
        user_id: &str,
        family: &str,
        family_started: i64,
        token: &str,
        now: i64,
    ) -> RefreshItem {
        RefreshItem {
            pk: repo::refresh_pk(&token_hash(token)),
            sk: repo::REFRESH_SK.to_owned(),
            user_id: user_id.to_owned(),
            family: family.to_owned(),
            family_started,
            expires_at: now + self.settings.refresh_ttl_secs,
            ttl: now + self.settings.refresh_ttl_secs,
            rotated_at: None,
        }
    }

    fn pair(
        &self,
        user: &UserItem,
        refresh_token: String,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let issuer = self.issuer()?;
        Ok(TokenPair {
            access_token: issuer.issue(&user.id, user.role, now),
            token_type: "Bearer",
            expires_in: issuer.ttl_secs,
            refresh_token,
            user: user.view(),
        })
    }

    async fn issue_pair(
        &self,
        user: &UserItem,
        family: String,
        started_ms: i64,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let refresh_token = new_token()?;
        let item = self.refresh_item(&user.id, &family, started_ms, &refresh_token, now);
        repo::put_refresh(&self.table, &item).await?;
        self.pair(user, refresh_token, now)
    }

    /// `POST /auth/refresh`: a new pair for an unused refresh token. A token presented a second
    /// time revokes its whole login, the tokens issued from it included.
    pub async fn refresh(&self, token: &str, now: i64) -> Result<TokenPair, ApiError> {
        let Some(old) = repo::refresh_by_hash(&self.table, &token_hash(token)).await? else {
            return Err(ApiError::Unauthorized);
        };
        if old.expires_at <= now {
            return Err(ApiError::Unauthorized);
        }
        let until = now + self.settings.refresh_ttl_secs;
        if old.rotated_at.is_some() {
            tracing::warn!(user.id = %old.user_id, session.family = %old.family, "refresh token reused; the login is revoked");
            repo::revoke_family(&self.table, &old.family, until).await?;
            return Err(ApiError::Unauthorized);
        }
        let Some(user) = repo::user_by_id(&self.table, &old.user_id).await? else {
            return Err(ApiError::Unauthorized);
        };
        let refresh_token = new_token()?;
        let new = self.refresh_item(
            &user.id,
            &old.family,
            old.family_started,
            &refresh_token,
            now,
        );
        match repo::rotate_refresh(&self.table, &old, &new, now).await? {
            Rotation::Rotated => self.pair(&user, refresh_token, now),
            Rotation::Refused => {
                // Rotated by a racing request, or the login or the user's tokens were revoked.
                tracing::warn!(user.id = %old.user_id, session.family = %old.family, "refresh refused; the login is revoked");
                repo::revoke_family(&self.table, &old.family, until).await?;
                Err(ApiError::Unauthorized)
            }
        }
    }

    /// `POST /auth/logout`: ends the login of the refresh token, if it is the caller's.
    pub async fn logout(
        &self,
        principal: &Principal,
        token: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        if let Some(item) = repo::refresh_by_hash(&self.table, &token_hash(token)).await?
            && item.user_id == principal.user_id
        {
            repo::revoke_family(
                &self.table,
                &item.family,
                now + self.settings.refresh_ttl_secs,
            )
            .await?;
            tracing::info!(user.id = %principal.user_id, "logged out");
        }
        Ok(())
    }

    /// `POST /auth/password-reset`: emails a single-use link if the account exists; says
    /// nothing either way.
    pub async fn request_password_reset(&self, email: &str, now: i64) -> Result<(), ApiError> {
        let email = Email::parse(email).map_err(|m| ApiError::validation("email", m))?;
        let Some(user) = repo::user_by_email(&self.table, email.as_str()).await? else {
            return Ok(());
        };
        if let Err(ApiError::RateLimited { .. }) = self
            .settings
            .reset_rate
            .hit(&self.table, &format!("reset#{}", user.id), now)
            .await
        {
            tracing::info!(user.id = %user.id, "password reset not sent: three this hour already");
            return Ok(());
        }
        let token = new_token()?;
        let reset = ResetItem {
            pk: repo::reset_pk(&token_hash(&token)),
            sk: repo::RESET_SK.to_owned(),
            user_id: user.id.clone(),
            expires_at: now + self.settings.reset_ttl_secs,
            ttl: now + self.settings.reset_ttl_secs,
        };
        repo::put_reset(&self.table, &reset).await?;
        let Some(mailer) = &self.mailer else {
            return Err(ApiError::internal("this function has no mailer"));
        };
        mailer
            .send(reset_email(&user, &self.settings, &token), "password_reset")
            .await;
        Ok(())
    }

    /// `POST /auth/password-reset/confirm`: spends the token, sets the password, ends every
    /// login of the user.
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        password: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        let unusable =
            || ApiError::validation("token", "is not valid: it is unknown, spent or expired");
        let Some(reset) = repo::reset_by_hash(&self.table, &token_hash(token)).await? else {
            return Err(unusable());
        };
        if reset.expires_at <= now {
            return Err(unusable());
        }
        let Some(user) = repo::user_by_id(&self.table, &reset.user_id).await? else {
            return Err(unusable());
        };
        if let Some(why) = password::weakness(password, &user.email) {
            return Err(ApiError::validation("password", why));
        }
        let hash = password::hash(password)?;
        if !repo::spend_reset(&self.table, &reset, &hash, now, now_ms()).await? {
            return Err(unusable());
        }
        tracing::info!(user.id = %user.id, "password reset; every login revoked");
        Ok(())
    }

    /// `GET /me`.
    pub async fn me(&self, principal: &Principal) -> Result<User, ApiError> {
        repo::user_by_id(&self.table, &principal.user_id)
            .await?
            .map(|u| u.view())
            .ok_or(ApiError::NotFound)
    }

    /// `PATCH /me`: a new name and/or password; a password change needs the current one and
    /// ends every login of the user.
    pub async fn update_me(
        &self,
        principal: &Principal,
        change: ProfileChange,
        now: i64,
    ) -> Result<User, ApiError> {
        let Some(user) = repo::user_by_id(&self.table, &principal.user_id).await? else {
            return Err(ApiError::NotFound);
        };
        let mut errors = Vec::new();
        let name = match change.name.as_deref().map(parse_name) {
            Some(Err(m)) => {
                errors.push(FieldError::new("name", m));
                None
            }
            other => other.and_then(Result::ok),
        };
        if let Some(new_password) = &change.password {
            if let Some(why) = password::weakness(new_password, &user.email) {
                errors.push(FieldError::new("password", why));
            }
            if change.current_password.is_none() {
                errors.push(FieldError::new(
                    "current_password",
                    "is required to change the password",
                ));
            }
        }
        validation(errors)?;
        let mut user = user;
        if let (Some(new_password), Some(current)) = (&change.password, &change.current_password) {
            // Guessing the current password here counts against the same lockout as login.
            let key = Self::lockout_key(&user.email);
            self.settings.lockout.check(&self.table, &key, now).await?;
            if password::verify(current, &user.password_hash)? == Verified::Mismatch {
                let _ = self.settings.lockout.hit(&self.table, &key, now).await;
                return Err(ApiError::validation(
                    "current_password",
                    "is not the current password",
                ));
            }
            let hash = password::hash(new_password)?;
            user = repo::set_password(&self.table, &user.id, &hash, Some(now_ms()), now).await?;
            tracing::info!(user.id = %user.id, "password changed; every login revoked");
        }
        if let Some(name) = name {
            user = repo::set_name(&self.table, &user.id, &name, now).await?;
        }
        Ok(user.view())
    }

    /// `POST /admin/users/{id}/role`.
    pub async fn set_role(
        &self,
        principal: &Principal,
        user_id: &str,
        role: Role,
        now: i64,
    ) -> Result<User, ApiError> {
        principal.require_admin()?;
        let user = repo::set_role(&self.table, user_id, role, now).await?;
        tracing::info!(user.id = %user.id, by = %principal.user_id, role = role.as_str(), "role changed");
        Ok(user.view())
    }

    /// Creates an admin, or makes an existing account one (its password is then left as it is).
    pub async fn ensure_admin(
        &self,
        email: &str,
        password: &str,
        name: &str,
        now: i64,
    ) -> Result<User, ApiError> {
        let email = Email::parse(email).map_err(|m| ApiError::validation("email", m))?;
        if let Some(user) = repo::user_by_email(&self.table, email.as_str()).await? {
            return Ok(repo::set_role(&self.table, &user.id, Role::Admin, now)
                .await?
                .view());
        }
        if let Some(why) = password::weakness(password, email.as_str()) {
            return Err(ApiError::validation("password", why));
        }
        let name = parse_name(name).map_err(|m| ApiError::validation("name", m))?;
        match self
            .create(email.clone(), name, password, Role::Admin, now)
            .await
        {
            // Created meanwhile by another call: promote it.
            Err(ApiError::Conflict { .. }) => {
                match repo::user_by_email(&self.table, email.as_str()).await? {
                    Some(user) => Ok(repo::set_role(&self.table, &user.id, Role::Admin, now)
                        .await?
                        .view()),
                    None => Err(ApiError::unavailable(
                        "the account vanished while being created",
                    )),
                }
            }
            other => other,
        }
    }
}

/// The reset email: the link is the only secret it carries.
fn reset_email(user: &UserItem, settings: &AccountSettings, token: &str) -> Mail {
    let separator = if settings.reset_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let link = format!("{}{separator}token={token}", settings.reset_url);
    let minutes = settings.reset_ttl_secs / 60;
    Mail {
        to: user.email.clone(),
        subject: "Reset your password".to_owned(),
        text: format!(
            "Hello {name},\n\nSomeone asked to reset the password of your account. If it was you, open this link within {minutes} minutes:\n\n{link}\n\nIf it was not you, ignore this email: your password stays as it is.\n",
            name = user.name
        ),
        html: format!(
            "<p>Hello {name},</p><p>Someone asked to reset the password of your account. If it was you, open this link within {minutes} minutes:</p><p><a href=\"{link}\">{link}</a></p><p>If it was not you, ignore this email: your password stays as it is.</p>",
            name = html_escape(&user.name)
        ),
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
