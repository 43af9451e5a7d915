//! `POST /products/{id}/images`: an admin gets a presigned upload for a product image.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let catalog = shared::context::catalog(true).await?;
    shared::http::run(config, |request| handler::add_image(&catalog, request)).await
}
