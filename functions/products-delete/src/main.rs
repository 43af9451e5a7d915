//! `DELETE /products/{id}`: an admin deactivates a product.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let catalog = shared::context::catalog(false).await?;
    shared::http::run(config, |request| handler::delete(&catalog, request)).await
}
