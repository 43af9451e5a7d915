//! `POST /products`: an admin adds a product.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let catalog = shared::context::catalog(false).await?;
    shared::http::run(config, |request| handler::create(&catalog, request)).await
}
