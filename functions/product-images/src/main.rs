//! `POST /products/{id}/images`: an admin gets a presigned upload for a product image.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::add_image).await
}
