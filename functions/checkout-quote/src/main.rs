//! `POST /checkout/quote`: what an order would cost (shipping, tax, discount), for anyone;
//! nothing is written.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::quote).await
}
