//! `GET /admin/returns`: the returns, or `?status=` those in one step, newest first (staff and
//! admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::list).await
}
