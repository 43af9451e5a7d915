//! `GET /admin/audit?actor_id=&resource=`: every write made by staff or admins, newest first
//! (admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::list).await
}
