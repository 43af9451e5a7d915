//! One S3 event: each record is an upload for the pipeline.

use aws_lambda_events::s3::S3Event;
use shared::aws::decode_s3_key;
use shared::catalog::images::{ImageCodec, ImagePipeline};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Hands every record to the pipeline; an error (S3 or DynamoDB unreachable) fails the
/// invocation, so Lambda retries it.
pub async fn handle<C: ImageCodec>(
    pipeline: &ImagePipeline<C>,
    event: S3Event,
) -> Result<(), Error> {
    for record in event.records {
        let (Some(bucket), Some(raw_key)) = (record.s3.bucket.name, record.s3.object.key) else {
            continue;
        };
        let Some(key) = decode_s3_key(&raw_key) else {
            tracing::warn!("an upload key that does not decode; ignored");
            continue;
        };
        pipeline.process_upload(&bucket, &key).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/image-process/object-created.json");

    #[tokio::test]
    async fn the_sample_is_an_upload_the_pipeline_reads_and_an_unreachable_table_fails_it() {
        let event: S3Event = serde_json::from_str(SAMPLE).unwrap();
        let sdk = testing::unreachable_sdk().await;
        let pipeline =
            ImagePipeline::from_config(&sdk, &testing::config(), crate::codec::Codec).unwrap();
        let err = handle(&pipeline, event).await.unwrap_err();
        assert!(err.to_string().contains("unavailable"), "{err}");
    }

    #[tokio::test]
    async fn a_key_outside_the_upload_prefix_is_ignored_without_a_read() {
        let event: S3Event =
            serde_json::from_str(&SAMPLE.replace("incoming", "elsewhere")).unwrap();
        let sdk = testing::unreachable_sdk().await;
        let pipeline =
            ImagePipeline::from_config(&sdk, &testing::config(), crate::codec::Codec).unwrap();
        assert!(handle(&pipeline, event).await.is_ok());
    }
}
