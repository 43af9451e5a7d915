//! `GET /admin/stats`: today's orders and revenue, orders by status, low stock (admins only).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::stats).await
}
