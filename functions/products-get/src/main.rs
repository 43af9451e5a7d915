//! `GET /products/{id}`: one product, with `ETag` and `Cache-Control`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let catalog = shared::context::catalog(false).await?;
    shared::http::run(config, |request| handler::get(&catalog, request)).await
}
