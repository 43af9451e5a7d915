//! The image function: started by S3 when an upload lands under `incoming/` in the uploads
//! bucket. It checks the file by its bytes, makes a thumbnail into the images bucket, and marks
//! the product's image `ready` or `rejected`. Its outputs go to another bucket, so it never
//! triggers itself; a failure it cannot handle is retried by Lambda, then dead-lettered.

mod handler;
mod process;

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let images = handler::Images {
        table: shared::context::table(&sdk)?,
        s3: shared::aws::s3(&sdk),
        images_bucket: shared::config::required("IMAGES_BUCKET")?,
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<_>| {
        handler::handle(&images, event.payload)
    }))
    .await
}
