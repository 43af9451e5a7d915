//! Signing in: the password checked, failures counted per account and client network, and the
//! owner told when their account is being guessed at.

use super::model::Email;
use super::repo;
use super::service::{Accounts, TokenPair, login_key};
use crate::auth::jwt::TokenIssuer;
use crate::auth::password::{self, Verified};
use crate::auth::tokens::opaque_key;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::ids::Id;
use crate::mail::{Email as Mail, MailJob, MailQueue, html_escape};

impl Accounts {
    /// `POST /auth/login`: the same 401, in about the same time, for a wrong password and an
    /// unknown email. Only failures count against the account: five from one client network in
    /// the window lock that network out of that account (429 without checking anything), so a
    /// stranger's guesses do not lock the owner's own network out; a hundred from everywhere
    /// lock the account, and at the twentieth the owner is emailed. A right password counts
    /// nothing once it is checked (it is refused only while five attempts from its network are
    /// running at once).
    pub async fn login(
        &self,
        issuer: &TokenIssuer,
        credentials: (&str, &str),
        source_ip: &str,
        mail: &MailQueue,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let (email, password) = credentials;
        let Ok(email) = Email::parse(email) else {
            password::verify_dummy(password);
            return Err(ApiError::InvalidCredentials);
        };
        let account_key = login_key(email.as_str());
        let network = opaque_key(&crate::rate_limit::client_network(source_ip));
        let client_key = format!("{account_key}#{network}");
        let settings = &self.settings;
        let mine = settings
            .lockout
            .begin(&self.table, &client_key, now)
            .await?;
        let everyone = match settings
            .account_ceiling
            .begin(&self.table, &account_key, now)
            .await
        {
            Ok(attempt) => attempt,
            Err(err) => {
                settings
                    .lockout
                    .end(&self.table, mine, false, false)
                    .await?;
                return Err(err);
            }
        };
        let user = repo::user_by_email(&self.table, email.as_str()).await?;
        let verified = match &user {
            Some(user) => password::verify(password, &user.password_hash)?,
            None => {
                password::verify_dummy(password);
                Verified::Mismatch
            }
        };
        let matched = matches!(verified, Verified::Match { .. });
        settings
            .lockout
            .end(&self.table, mine, !matched, matched)
            .await?;
        let failures = settings
            .account_ceiling
            .end(&self.table, everyone, !matched, false)
            .await?;
        let (Some(mut user), Verified::Match { rehash }) = (user, verified) else {
            tracing::info!("login failed");
            if failures == Some(settings.warn_at) {
                // Whatever the email: the mail job finds out whether it has an account.
                let job = MailJob::LoginWarning {
                    email: email.as_str().to_owned(),
                };
                if let Err(err) = mail.send(&job).await {
                    tracing::error!(error = %crate::error::cause_chain(&err), "login warning not queued");
                }
            }
            return Err(ApiError::InvalidCredentials);
        };
        if rehash {
            user = repo::set_password(&self.table, &user.id, &password::hash(password)?, None, now)
                .await?;
        }
        let family = Id::new().to_string();
        let pair = self
            .issue_pair(issuer, &user, &family, now_ms(), now)
            .await?;
        tracing::info!(user.id = %user.id, "logged in");
        // The orders its email placed as a guest join the account now. A failure here costs
        // nothing: the next sign-in takes them.
        let email_key = crate::discounts::keys::customer(&user.email);
        match crate::orders::repo::adopt(&self.table, &email_key, &user.id).await {
            Ok(0) => {}
            Ok(taken) => {
                tracing::info!(user.id = %user.id, orders = taken, "guest orders joined the account")
            }
            Err(err) => {
                tracing::warn!(error = %crate::error::cause_chain(&err), "guest orders not joined yet");
            }
        }
        Ok(pair)
    }

    /// The email telling `email`'s owner that their account is being guessed at, if it has an
    /// account.
    pub async fn login_warning_email(&self, email: &str) -> Result<Option<Mail>, ApiError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(None);
        };
        let Some(user) = repo::user_by_email(&self.table, email.as_str()).await? else {
            return Ok(None);
        };
        let minutes = self.settings.lockout.length_secs / 60;
        let what = format!(
            "someone has tried to sign in to your account with a wrong password {} times in the last {minutes} minutes. If it was not you, your password has kept them out; choose a long one if it is short. Your own sign-ins from your usual network are not blocked by this.",
            self.settings.warn_at,
        );
        let text = format!("Hello {},\n\n{what}\n", user.name);
        let html = format!("<p>Hello {},</p><p>{what}</p>", html_escape(&user.name));
        Ok(Some(Mail {
            to: user.email,
            subject: "Someone is trying to sign in to your account".to_owned(),
            text,
            html,
        }))
    }
}
