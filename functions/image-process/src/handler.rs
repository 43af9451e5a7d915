//! One S3 event: each record is an upload to process, at most once per image.

use aws_lambda_events::s3::S3Event;
use shared::catalog::model::{ImageItem, ImageStatus};
use shared::catalog::{decode_s3_key, image_keys, parse_upload_key, repo};
use shared::db::Table;

use crate::process::{Rejected, process};

pub struct Images {
    pub table: Table,
    pub s3: aws_sdk_s3::Client,
    pub images_bucket: String,
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Processes every record; an error (S3 or DynamoDB unreachable) fails the invocation, so
/// Lambda retries it: whatever was done already is then skipped or redone identically.
pub async fn handle(images: &Images, event: S3Event) -> Result<(), Error> {
    for record in event.records {
        let (Some(bucket), Some(raw_key)) = (record.s3.bucket.name, record.s3.object.key) else {
            continue;
        };
        let Some(key) = decode_s3_key(&raw_key) else {
            tracing::warn!("an upload key that does not decode; ignored");
            continue;
        };
        let Some((product_id, image_id)) = parse_upload_key(&key) else {
            tracing::warn!(upload.key = %key, "not an image upload key; ignored");
            continue;
        };
        handle_upload(images, &bucket, &key, product_id, image_id).await?;
    }
    Ok(())
}

async fn handle_upload(
    images: &Images,
    bucket: &str,
    key: &str,
    product_id: &str,
    image_id: &str,
) -> Result<(), Error> {
    let status = repo::image_status(&images.table, product_id, image_id).await?;
    if status != Some(ImageStatus::Pending) {
        // Processed already (the same event again), or no such image: nothing to do.
        tracing::info!(product.id = %product_id, image.id = %image_id, ?status, "upload skipped");
        return Ok(());
    }
    let object = images.s3.get_object().bucket(bucket).key(key).send().await;
    let object = match object {
        Ok(object) => object,
        Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
            tracing::info!(product.id = %product_id, image.id = %image_id, "upload gone; skipped");
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    };
    let too_large = object
        .content_length
        .is_some_and(|length| length > shared::catalog::model::MAX_IMAGE_BYTES);
    let outcome = if too_large {
        Err(Rejected("larger than 5 MiB"))
    } else {
        let bytes = object.body.collect().await?.into_bytes();
        process(&bytes)
    };
    let now = shared::clock::now();
    let mut image = ImageItem {
        id: image_id.to_owned(),
        status: ImageStatus::Rejected,
        content_type: String::new(),
        original_key: None,
        thumbnail_key: None,
        width: None,
        height: None,
    };
    match outcome {
        Ok(processed) => {
            let (original_key, thumbnail_key) =
                image_keys(product_id, image_id, processed.extension);
            images
                .s3
                .copy_object()
                .copy_source(format!("{bucket}/{key}"))
                .bucket(&images.images_bucket)
                .key(&original_key)
                .content_type(processed.content_type)
                .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
                .send()
                .await?;
            images
                .s3
                .put_object()
                .bucket(&images.images_bucket)
                .key(&thumbnail_key)
                .content_type("image/jpeg")
                .body(processed.thumbnail.into())
                .send()
                .await?;
            image.status = ImageStatus::Ready;
            image.content_type = processed.content_type.to_owned();
            image.original_key = Some(original_key);
            image.thumbnail_key = Some(thumbnail_key);
            image.width = Some(processed.width);
            image.height = Some(processed.height);
        }
        Err(Rejected(reason)) => {
            tracing::info!(product.id = %product_id, image.id = %image_id, reason, "upload rejected");
        }
    }
    let changed = repo::finish_image(&images.table, product_id, &image, now).await?;
    tracing::info!(product.id = %product_id, image.id = %image_id, status = ?image.status, changed, "upload processed");
    // The upload is no longer needed: a ready image was copied, a rejected one is refused.
    images
        .s3
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await?;
    Ok(())
}
