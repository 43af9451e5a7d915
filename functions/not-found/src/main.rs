//! The API's `$default` route: every request no other route takes. It answers CORS preflights
//! (`OPTIONS`, no auth needed), `405` with `Allow` for a known path asked with another method,
//! and a `404` problem otherwise, so that a client meets problem+json everywhere, never API
//! Gateway's bare `{"message":"Not Found"}`.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::fallback).await
}
