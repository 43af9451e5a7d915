//! `POST /admin/orders/{id}/refunds`: an admin gives back an amount, or the paid share of some
//! of the order's units (and, if asked, puts them back in stock), through Stripe.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::refund).await
}
