//! `POST /auth/password-reset/confirm`: sets a new password with a reset token.

mod handler;

use shared::context::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let accounts = shared::context::accounts(Needs::default()).await?;
    shared::http::run(config, |request| handler::confirm_reset(&accounts, request)).await
}
