//! `DELETE /admin/tax-rates/{region}`: an admin removes a region's tax rate.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::delete).await
}
