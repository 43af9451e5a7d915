//! `POST /auth/refresh`: exchanges a refresh token for a new pair (rotation).

mod handler;

use shared::context::Needs;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let accounts = shared::context::accounts(Needs {
        tokens: true,
        mail: false,
    })
    .await?;
    shared::http::run(config, |request| handler::refresh(&accounts, request)).await
}
