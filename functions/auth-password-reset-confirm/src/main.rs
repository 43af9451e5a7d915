//! `POST /auth/password-reset/confirm`: sets a new password with a reset token.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::confirm_reset).await
}
