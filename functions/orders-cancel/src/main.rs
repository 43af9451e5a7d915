//! `POST /orders/{id}/cancel`: the owner cancels an unpaid order, an admin one not yet shipped.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::cancel).await
}
