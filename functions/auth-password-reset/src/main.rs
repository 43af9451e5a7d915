//! `POST /auth/password-reset`: queues a reset email; the mail function sends it if the
//! account exists.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::request_reset).await
}
