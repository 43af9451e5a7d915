//! `DELETE /admin/shipping-zones/{zone_id}`: an admin deletes a shipping zone; its regions
//! are free for another.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::delete).await
}
