//! The rules of accounts: what each route does, on domain types, independent of HTTP. A method
//! that needs a capability beyond the table (issuing tokens, queueing mail) takes it as an
//! argument, so only a function that built that capability can call it.

use super::keys;
use super::model::{Customer, Email, PersonName, RefreshItem, ResetItem, User, UserItem};
use super::repo::{self, RoleChange, Rotation};
use super::rules::{self, RefreshVerdict};
use crate::auth::jwt::TokenIssuer;
use crate::auth::password::{self, Verified};
use crate::auth::tokens::{new_token, opaque_key, token_hash};
use crate::auth::{Principal, Role};
use crate::clock::now_ms;
use crate::config::Config;
use crate::db::Table;
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::mail::{Email as Mail, MailJob, MailQueue, html_escape};
use crate::rate_limit::{Attempts, Window};

/// Settings of accounts, from the configuration.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// How long a login lasts unused.
    pub refresh_ttl_secs: i64,
    /// How long a login lasts at most, however often it is refreshed.
    pub family_max_secs: i64,
    /// 5 failed logins per account and client network per window.
    pub lockout: Attempts,
    /// 100 failed logins per account per window from everywhere, against guessing spread over
    /// many networks; the owner is emailed at the 20th.
    pub account_ceiling: Attempts,
    pub warn_at: u32,
    /// How long a reset link works.
    pub reset_ttl_secs: i64,
    /// 3 reset requests per email per hour.
    pub reset_rate: Window,
    /// The shop's page that takes `?token=`; the emailed link.
    pub reset_url: String,
    /// 10 new accounts per client network per hour.
    pub registrations: Window,
}

impl AccountSettings {
    pub fn new(config: &Config) -> Self {
        Self {
            refresh_ttl_secs: config.refresh_ttl_secs,
            family_max_secs: config.refresh_family_max_secs,
            lockout: Attempts {
                limit: 5,
                length_secs: config.lockout_window_secs,
            },
            account_ceiling: Attempts {
                limit: 100,
                length_secs: config.lockout_window_secs,
            },
            warn_at: 20,
            reset_ttl_secs: config.reset_ttl_secs,
            reset_rate: Window {
                limit: 3,
                length_secs: 3600,
            },
            reset_url: config.reset_url.clone(),
            registrations: Window {
                limit: 10,
                length_secs: 3600,
            },
        }
    }
}

pub use super::model::TokenPair;
pub use super::requests::{ProfileChange, Registration};

/// Accounts: the table and the settings. Every account function builds one.
pub struct Accounts {
    pub table: Table,
    pub settings: AccountSettings,
}

pub(super) fn login_key(email: &str) -> String {
    keys::login_attempts(&opaque_key(email))
}

impl Accounts {
    pub fn new(table: Table, config: &Config) -> Self {
        Self {
            table,
            settings: AccountSettings::new(config),
        }
    }

    /// `POST /auth/register`.
    /// A valid registration is counted against the client's network first (an IPv6 client by
    /// its /64): one client cannot make accounts by the thousand, each with its own unpaid
    /// orders. Taken emails count too, so the limit also slows asking which emails have one.
    pub async fn register(
        &self,
        registration: Registration,
        source_ip: &str,
        now: i64,
    ) -> Result<User, ApiError> {
        let (email, name, password) = rules::registration(registration)?;
        let network = opaque_key(&crate::rate_limit::client_network(source_ip));
        self.settings
            .registrations
            .acquire(&self.table, &format!("register#{network}"), now)
            .await?;
        self.create(email, name, password.as_str(), Role::Customer, now)
            .await
    }

    async fn create(
        &self,
        email: Email,
        name: PersonName,
        password: &str,
        role: Role,
        now: i64,
    ) -> Result<User, ApiError> {
        let id = Id::new().to_string();
        let user = UserItem {
            pk: keys::user(&id),
            sk: keys::USER_SK.to_owned(),
            id,
            email: email.as_str().to_owned(),
            name: name.into_inner(),
            role,
            password_hash: password::hash(password)?,
            created_at: now,
            updated_at: now,
            tokens_valid_after: 0,
            gsi1pk: Some(keys::ACCOUNTS.to_owned()),
            gsi1sk: Some(email.as_str().to_owned()),
            orders_count: 0,
            spent_cents: 0,
        };
        repo::create_user(&self.table, &user).await?;
        tracing::info!(user.id = %user.id, "account created");
        Ok(user.view())
    }

    fn refresh_item(
        &self,
        user_id: &str,
        family: &str,
        family_started_ms: i64,
        token: &str,
        now: i64,
    ) -> RefreshItem {
        // Sliding, but never past the login's absolute end.
        let expires_at = (now + self.settings.refresh_ttl_secs)
            .min(family_started_ms / 1000 + self.settings.family_max_secs);
        RefreshItem {
            pk: keys::refresh(&token_hash(token)),
            sk: keys::REFRESH_SK.to_owned(),
            user_id: user_id.to_owned(),
            family: family.to_owned(),
            family_started: family_started_ms,
            expires_at,
            ttl: expires_at,
            rotated_at: None,
        }
    }

    fn pair(issuer: &TokenIssuer, user: &UserItem, refresh_token: String, now: i64) -> TokenPair {
        TokenPair {
            access_token: issuer.issue(&user.id, user.role, now),
            token_type: "Bearer",
            expires_in: issuer.ttl_secs,
            refresh_token,
            user: user.view(),
        }
    }

    pub(super) async fn issue_pair(
        &self,
        issuer: &TokenIssuer,
        user: &UserItem,
        family: &str,
        started_ms: i64,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let refresh_token = new_token()?;
        let item = self.refresh_item(&user.id, family, started_ms, &refresh_token, now);
        repo::put_refresh(&self.table, &item).await?;
        Ok(Self::pair(issuer, user, refresh_token, now))
    }

    /// `POST /auth/refresh`: a new pair for an unused refresh token. A token presented a second
    /// time revokes its whole login, the tokens issued from it included.
    pub async fn refresh(
        &self,
        issuer: &TokenIssuer,
        token: &str,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let Some(old) = repo::refresh_by_hash(&self.table, &token_hash(token)).await? else {
            return Err(ApiError::Unauthorized);
        };
        let until = now + self.settings.refresh_ttl_secs;
        match rules::refresh_verdict(&old, now, self.settings.family_max_secs) {
            RefreshVerdict::Rotate => {}
            RefreshVerdict::Expired => return Err(ApiError::Unauthorized),
            RefreshVerdict::Reused => {
                tracing::warn!(user.id = %old.user_id, session.family = %old.family, "refresh token reused; the login is revoked");
                repo::revoke_family(&self.table, &old.family, until).await?;
                return Err(ApiError::Unauthorized);
            }
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
            Rotation::Rotated => Ok(Self::pair(issuer, &user, refresh_token, now)),
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

    /// `POST /auth/password-reset`: says nothing about whether the email has an account, in
    /// its answer or its timing. Every request does the same work: it counts the request
    /// against the email's hourly limit and queues a job; the mail function, off the request
    /// path, looks for the account and sends the link if there is one.
    pub async fn request_password_reset(
        &self,
        queue: &MailQueue,
        email: Email,
        now: i64,
    ) -> Result<(), ApiError> {
        let key = keys::reset_requests(&opaque_key(email.as_str()));
        match self
            .settings
            .reset_rate
            .acquire(&self.table, &key, now)
            .await
        {
            Ok(()) => {}
            Err(ApiError::RateLimited { .. }) => {
                tracing::info!("password reset not queued: three this hour already");
                return Ok(());
            }
            Err(err) => return Err(err),
        }
        queue
            .send(&MailJob::PasswordReset {
                email: email.as_str().to_owned(),
            })
            .await?;
        tracing::info!("password reset queued");
        Ok(())
    }

    /// The mail function's half of a reset: a fresh single-use token for the account of
    /// `email`, stored by its hash, and the email that carries it; `None` if there is no such
    /// account.
    pub async fn password_reset_email(
        &self,
        email: &str,
        now: i64,
    ) -> Result<Option<Mail>, ApiError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let Some(user) = repo::user_by_email(&self.table, email.as_str()).await? else {
            tracing::info!("password reset for an address without an account; nothing sent");
            return Ok(None);
        };
        let token = new_token()?;
        let reset = ResetItem {
            pk: keys::reset(&token_hash(&token)),
            sk: keys::RESET_SK.to_owned(),
            user_id: user.id.clone(),
            created_ms: now_ms(),
            expires_at: now + self.settings.reset_ttl_secs,
            ttl: now + self.settings.reset_ttl_secs,
        };
        repo::put_reset(&self.table, &reset).await?;
        tracing::info!(user.id = %user.id, "password reset token made");
        Ok(Some(reset_email(&user, &self.settings, &token)))
    }

    /// Who an email about the user `user_id` goes to: their address and name.
    pub async fn recipient(&self, user_id: &str) -> Result<Option<(String, String)>, ApiError> {
        Ok(repo::user_by_id(&self.table, user_id)
            .await?
            .map(|user| (user.email, user.name)))
    }

    /// `POST /auth/password-reset/confirm`: spends the token, sets the password, ends every
    /// login of the user and every other reset link.
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
        if user.tokens_valid_after > reset.created_ms {
            return Err(unusable());
        }
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

    /// `PATCH /me`: a new name and/or password; a password change needs the current one (each
    /// try counted against the same limit as logins) and ends every login and reset link.
    pub async fn update_me(
        &self,
        principal: &Principal,
        change: ProfileChange,
        now: i64,
    ) -> Result<User, ApiError> {
        let Some(mut user) = repo::user_by_id(&self.table, &principal.user_id).await? else {
            return Err(ApiError::NotFound);
        };
        rules::profile_change(&change, &user.email)?;
        if let (Some(new_password), Some(current)) = (&change.password, &change.current_password) {
            // The signed-in owner's own guesses at their current password, counted as logins'.
            let key = format!("{}#signed-in", login_key(&user.email));
            let attempt = self.settings.lockout.begin(&self.table, &key, now).await?;
            let wrong = password::verify(current, &user.password_hash)? == Verified::Mismatch;
            self.settings
                .lockout
                .end(&self.table, attempt, wrong, !wrong)
                .await?;
            if wrong {
                return Err(ApiError::validation(
                    "current_password",
                    "is not the current password",
                ));
            }
            let hash = password::hash(new_password.as_str())?;
            user = repo::set_password(&self.table, &user.id, &hash, Some(now_ms()), now).await?;
            tracing::info!(user.id = %user.id, "password changed; every login revoked");
        }
        if let Some(name) = change.name {
            user = repo::set_name(&self.table, &user.id, &name.into_inner(), now).await?;
        }
        Ok(user.view())
    }

    /// Confirms that a token saying "staff" or "admin" still speaks for one: the account
    /// exists, has that role now, and the token was issued after its last credential reset.
    /// `401` otherwise: the token no longer stands for what it says.
    pub async fn confirm_role(&self, principal: Principal) -> Result<Principal, ApiError> {
        let Some(user) = repo::user_by_id(&self.table, &principal.user_id).await? else {
            return Err(ApiError::Unauthorized);
        };
        if !rules::shop_token_holds(
            principal.role,
            user.role,
            user.tokens_valid_after,
            principal.issued_at,
        ) {
            tracing::info!(user.id = %principal.user_id, role = principal.role.as_str(), "a staff or admin token that no longer holds");
            return Err(ApiError::Unauthorized);
        }
        Ok(principal)
    }

    /// `GET /admin/customers?q=`: the accounts whose email starts with `q` (all without it), in
    /// the emails' order; staff and admins.
    pub async fn customers(
        &self,
        principal: &Principal,
        q: Option<&str>,
        page: crate::cursor::PageRequest,
        keys: &crate::secrets::Keys,
        now: i64,
    ) -> Result<crate::cursor::Page<Customer>, ApiError> {
        principal.require_staff()?;
        let prefix = q.map(|q| q.trim().to_lowercase()).unwrap_or_default();
        if prefix.chars().count() > 254 {
            return Err(ApiError::validation("q", "must be at most 254 characters"));
        }
        let limit = page.limit as usize;
        let scope = format!("customers|{prefix}");
        let found = keys
            .cursors()
            .read_page(&scope, page.cursor.as_deref(), now, |start| {
                repo::search(&self.table, &prefix, limit, start)
            })
            .await?;
        Ok(found.map(|user| user.customer()))
    }

    /// `GET /admin/customers/{id}`'s account; staff and admins.
    pub async fn customer(&self, principal: &Principal, id: &Id) -> Result<Customer, ApiError> {
        principal.require_staff()?;
        repo::user_by_id(&self.table, id.as_str())
            .await?
            .map(|user| user.customer())
            .ok_or(ApiError::NotFound)
    }

    /// `POST /admin/users/{id}/role`: ends the user's logins and admin access at once;
    /// demoting the last admin is `409 conflict`.
    pub async fn set_role(
        &self,
        admin: &Principal,
        user_id: &Id,
        role: Role,
        now: i64,
    ) -> Result<User, ApiError> {
        for _ in 0..3 {
            let Some(user) = repo::user_by_id(&self.table, user_id.as_str()).await? else {
                return Err(ApiError::NotFound);
            };
            let act = crate::audit::Act::new(admin, "role.set");
            if user.role == role {
                let same = serde_json::json!({"role": role});
                let entry = act.entry("user", &user.id, Some(&same), Some(&same), now);
                crate::audit::note(&self.table, &entry).await?;
                return Ok(user.view());
            }
            match repo::change_role(&self.table, &user, role, Some(act), now, now_ms()).await? {
                RoleChange::Changed(user) => {
                    tracing::info!(user.id = %user.id, by = %admin.user_id, role = role.as_str(), "role changed; the user's logins ended");
                    return Ok(user.view());
                }
                RoleChange::LastAdmin => {
                    return Err(ApiError::Conflict {
                        code: ErrorCode::Conflict,
                        detail: "This is the last admin; promote another before demoting it."
                            .to_owned(),
                    });
                }
                RoleChange::Raced => continue,
            }
        }
        Err(ApiError::unavailable("the role kept changing"))
    }

    /// Creates an admin, or, with `promote_existing`, makes an existing account one (its
    /// password is then left as it is). Without it, an existing account that is not an admin
    /// is refused with `409`.
    pub async fn ensure_admin(
        &self,
        email: &str,
        password: &str,
        name: &str,
        promote_existing: bool,
        now: i64,
    ) -> Result<AdminEnsured, ApiError> {
        let email = Email::parse(email).map_err(|m| ApiError::validation("email", m))?;
        if let Some(user) = repo::user_by_email(&self.table, email.as_str()).await? {
            return self.promote(user, promote_existing, now).await;
        }
        if let Some(why) = password::weakness(password, email.as_str()) {
            return Err(ApiError::validation("password", why));
        }
        let name = PersonName::parse(name).map_err(|m| ApiError::validation("name", m))?;
        match self
            .create(email.clone(), name, password, Role::Admin, now)
            .await
        {
            Ok(user) => Ok(AdminEnsured::Created(user)),
            // Created meanwhile by another call.
            Err(ApiError::Conflict { .. }) => {
                match repo::user_by_email(&self.table, email.as_str()).await? {
                    Some(user) => self.promote(user, promote_existing, now).await,
                    None => Err(ApiError::unavailable(
                        "the account vanished while being created",
                    )),
                }
            }
            Err(err) => Err(err),
        }
    }

    async fn promote(
        &self,
        user: UserItem,
        promote_existing: bool,
        now: i64,
    ) -> Result<AdminEnsured, ApiError> {
        if user.role == Role::Admin {
            repo::record_admin(&self.table, &user.id).await?;
            return Ok(AdminEnsured::AlreadyAdmin(user.view()));
        }
        if !promote_existing {
            return Err(ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: "An account with this email exists and is not an admin.".to_owned(),
            });
        }
        match repo::change_role(&self.table, &user, Role::Admin, None, now, now_ms()).await? {
            RoleChange::Changed(user) => Ok(AdminEnsured::Promoted(user.view())),
            _ => Err(ApiError::unavailable("the role kept changing")),
        }
    }
}

/// What `ensure_admin` did.
#[derive(Debug)]
pub enum AdminEnsured {
    Created(User),
    /// An existing account became an admin; its password was left as it was.
    Promoted(User),
    AlreadyAdmin(User),
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
