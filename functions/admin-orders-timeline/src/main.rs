//! `GET /admin/orders/{id}/timeline`: every change of an order, oldest first, each with who
//! made it (staff and admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::timeline).await
}
