//! `POST /orders/{id}/returns`: the customer of a delivered order asks to send units back,
//! within 30 days of its delivery.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::create).await
}
