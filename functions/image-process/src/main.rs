//! The image function: started by S3 when an upload lands under `incoming/` in the uploads
//! bucket. The catalog's image pipeline checks the file by its bytes, publishes a re-encoding
//! and a thumbnail into the images bucket, and marks the product's image `ready` or
//! `rejected`. Its outputs go to another bucket, so it never triggers itself; a failure it
//! cannot handle is retried by Lambda, then dead-lettered.

mod codec;
mod handler;

use lambda_runtime::{LambdaEvent, service_fn};
use shared::catalog::images::ImagePipeline;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (config, sdk) = shared::start().await?;
    let pipeline = ImagePipeline::from_config(&sdk, &config, codec::Codec)?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        shared::emf::flushed(handler::handle(&pipeline, event.payload))
    }))
    .await
}
