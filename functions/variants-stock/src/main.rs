//! `POST /products/{id}/variants/{variant_id}/stock`: an admin moves a variant's stock by a
//! delta, as one movement of its ledger.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::adjust).await
}
