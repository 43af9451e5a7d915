//! The image function: started by S3 when an upload lands under `incoming/` in the uploads
//! bucket. The catalog's image pipeline checks the file by its bytes, publishes a re-encoding
//! and a thumbnail into the images bucket, and marks the product's image `ready` or
//! `rejected`. Its outputs go to another bucket, so it never triggers itself; a failure it
//! cannot handle is retried by Lambda, then dead-lettered.

mod codec;
mod handler;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::events::Error> {
    let (_, state) = shared::start::<handler::State>().await?;
    shared::events::run(state, handler::handle).await
}
