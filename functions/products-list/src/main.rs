//! `GET /products`: the catalog, paginated, by category or name prefix.

mod handler;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let config = shared::Config::from_env()?;
    let catalog = shared::context::catalog(false).await?;
    shared::http::run(config, |request| handler::list(&catalog, request)).await
}
