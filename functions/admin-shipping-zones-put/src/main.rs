//! `PUT /admin/shipping-zones/{zone_id}`: an admin makes or replaces a shipping zone: the
//! regions it ships to and its methods.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::put).await
}
