//! `POST /admin/returns/{id}/reject`: the shop will not take a return back; its units may be
//! asked back again (staff and admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::reject).await
}
