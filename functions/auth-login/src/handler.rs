//! Login: an email and a password for an access token and a refresh token.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::Credentials;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, source_ip};
use shared::idempotency::Caller;
use shared::mail::MailQueue;
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that sign the tokens, the idempotency keys, and the mail queue
    /// that tells an owner their account is being guessed at.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent, mail: MailQueue }
}

pub async fn login(s: &State, request: Request) -> HandlerResult {
    let ip = source_ip(&request);
    let login = async |body: Credentials, now| {
        let credentials = (body.email.as_str(), body.password.as_str());
        let pair = s
            .accounts
            .login(&s.keys.issuer(), credentials, &ip, &s.mail, now)
            .await?;
        json(StatusCode::OK, &pair)
    };
    s.idempotent.post(request, Caller::Anonymous, login).await
}

#[cfg(test)]
mod tests;
