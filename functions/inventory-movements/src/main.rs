//! `GET /admin/inventory/{variant_id}/movements`: a variant's stock ledger, newest first.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::list).await
}
