//! `GET /health`: tells a load balancer, a monitor or a person that the API answers, and which
//! version is deployed. It touches no AWS service, so it costs nothing and needs no permission.

mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (config, state) = shared::start::<handler::State>().await?;
    shared::http::run(config, state, handler::health).await
}
