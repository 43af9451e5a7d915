//! `POST /orders`: a signed-in customer checks out; the Idempotency-Key is required.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::create).await
}
