//! `POST /auth/password-reset`: emails a single-use reset link, if the account exists.

mod handler;

use shared::context::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let accounts = shared::context::accounts(Needs {
        tokens: false,
        mail: true,
    })
    .await?;
    shared::http::run(config, |request| handler::request_reset(&accounts, request)).await
}
