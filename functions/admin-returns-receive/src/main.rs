//! `POST /admin/returns/{id}/receive`: the units of a return arrived; their paid share is
//! refunded through Stripe and, with `restock`, they come back to stock (staff and admins).

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::receive).await
}
