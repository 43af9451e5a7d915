//! `GET /admin/customers?q=`: the accounts whose email starts with `q`, in the emails' order
//! (staff and admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::list).await
}
