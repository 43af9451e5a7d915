//! `PATCH /products/{id}/variants/{variant_id}`: an admin changes a variant (not its stock).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::update).await
}
