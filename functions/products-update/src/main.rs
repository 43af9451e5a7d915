//! `PATCH /products/{id}`: an admin changes a product, honouring `If-Match`.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let catalog = shared::context::catalog(false).await?;
    shared::http::run(config, |request| handler::update(&catalog, request)).await
}
