//! One S3 event: each record is an upload for the pipeline.

use aws_lambda_events::s3::S3Event;
use lambda_runtime::LambdaEvent;
use shared::aws::decode_s3_key;
use shared::catalog::images::ImagePipeline;
use shared::events::Error;

use crate::codec::Codec;

shared::state! {
    /// The image pipeline, with this crate's codec.
    pub struct State { pipeline: ImagePipeline<Codec> }
}

/// Hands every record to the pipeline; an error (S3 or DynamoDB unreachable) fails the
/// invocation, so Lambda retries it.
pub async fn handle(s: &State, event: LambdaEvent<S3Event>) -> Result<(), Error> {
    for record in event.payload.records {
        let (Some(bucket), Some(raw_key)) = (record.s3.bucket.name, record.s3.object.key) else {
            continue;
        };
        let Some(key) = decode_s3_key(&raw_key) else {
            tracing::warn!("an upload key that does not decode; ignored");
            continue;
        };
        s.pipeline.process_upload(&bucket, &key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
