//! `GET /me`: the signed-in user.

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
    shared::http::run(config, |request| handler::me(&accounts, request)).await
}
