//! `POST /admin/orders/{id}/ship`: an admin ships a paid order; the customer is emailed.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::ship).await
}
