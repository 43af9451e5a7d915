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
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/image-process/object-created.json");

    #[tokio::test]
    async fn uploads_are_read_from_their_prefix_only_and_an_unreachable_table_fails_them() {
        // The sample is an upload the pipeline reads and an unreachable table fails it.
        let state = testing::state().await;
        let err = handle(&state, testing::event(SAMPLE)).await.unwrap_err();
        assert!(err.to_string().contains("unavailable"), "{err}");
        // A key outside the upload prefix is ignored without a read.
        let elsewhere = testing::event(&SAMPLE.replace("incoming", "elsewhere"));
        assert!(handle(&testing::state().await, elsewhere).await.is_ok());
    }
}
