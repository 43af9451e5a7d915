//! `POST /admin/orders/{id}/deliver`: an admin marks a shipped order delivered.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::deliver).await
}
