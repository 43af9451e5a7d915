//! `GET /admin/customers/{id}`: an account, what it bought, and its latest orders (staff and
//! admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::get).await
}
