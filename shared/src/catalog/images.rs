//! The image pipeline, started by S3 when an upload lands: read the upload, check it by its
//! bytes, publish what was checked, finish the product's image, delete the upload.
//!
//! What is published is never the upload itself but the codec's re-encoding of the image it
//! decoded: a presigned PUT can be replayed for its whole lifetime, so the upload's key may
//! hold other bytes by the time they would be copied; re-encoding also drops metadata (EXIF,
//! GPS position) and anything appended after the image. Decoding lives behind
//! [`ImageCodec`], implemented in the image function's crate, so only it carries an image
//! library.

use aws_sdk_s3::primitives::ByteStream;

use super::keys;
use super::model::{ImageItem, ImageStatus, MAX_IMAGE_BYTES};
use super::repo;
use crate::config::{Config, ConfigError};
use crate::db::Table;
use crate::error::ApiError;

/// A checked image, re-encoded, ready to publish.
#[derive(Debug)]
pub struct Processed {
    pub content_type: &'static str,
    pub extension: &'static str,
    pub width: u32,
    pub height: u32,
    /// The full image, encoded anew from its decoded pixels.
    pub original: Vec<u8>,
    /// A JPEG whose longest side is at most 320 pixels.
    pub thumbnail: Vec<u8>,
}

/// Why a file is not accepted as a product image (logged; the client sees `rejected`).
#[derive(Debug, PartialEq, Eq)]
pub struct Rejected(pub &'static str);

/// Recognises an image by its bytes and encodes what is published.
pub trait ImageCodec {
    fn process(&self, bytes: &[u8]) -> Result<Processed, Rejected>;
}

/// What became of one upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Ready,
    Rejected,
    /// Not an upload of a pending image: processed already (a second delivery, or bytes put
    /// again after processing), or no such image.
    Skipped,
}

pub struct ImagePipeline<C> {
    table: Table,
    s3: aws_sdk_s3::Client,
    images_bucket: String,
    codec: C,
}

impl<C: ImageCodec> ImagePipeline<C> {
    /// The pipeline on `table` and the images bucket (`IMAGES_BUCKET`) of the configuration.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        config: &Config,
        table: Table,
        codec: C,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            table,
            s3: crate::aws::s3(sdk, config),
            images_bucket: config.required(&config.images_bucket, "IMAGES_BUCKET")?,
            codec,
        })
    }

    /// Processes the object `key` (URL-decoded) of `bucket`. An error (S3 or DynamoDB out of
    /// reach) is for the caller to retry: whatever was done already is then skipped or redone
    /// identically.
    pub async fn process_upload(&self, bucket: &str, key: &str) -> Result<Outcome, ApiError> {
        let Some((product_id, image_id)) = keys::parse_upload(key) else {
            tracing::warn!("not an image upload key; ignored");
            return Ok(Outcome::Skipped);
        };
        let (product_id, image_id) = (product_id.as_str(), image_id.as_str());
        let status = repo::image_status(&self.table, product_id, image_id).await?;
        if status != Some(ImageStatus::Pending) {
            tracing::info!(product.id = %product_id, image.id = %image_id, ?status, "upload skipped");
            self.delete_upload(bucket, key).await?;
            return Ok(Outcome::Skipped);
        }
        let object = match self.s3.get_object().bucket(bucket).key(key).send().await {
            Ok(object) => object,
            Err(err) if err.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                tracing::info!(product.id = %product_id, image.id = %image_id, "upload gone; skipped");
                return Ok(Outcome::Skipped);
            }
            Err(err) => return Err(err.into()),
        };
        let too_large = object
            .content_length
            .is_some_and(|length| length > MAX_IMAGE_BYTES);
        let checked = if too_large {
            Err(Rejected("larger than 5 MiB"))
        } else {
            let bytes = object
                .body
                .collect()
                .await
                .map_err(ApiError::unavailable)?
                .into_bytes();
            self.codec.process(&bytes)
        };
        let mut image = ImageItem {
            id: image_id.to_owned(),
            status: ImageStatus::Rejected,
            content_type: String::new(),
            original_key: None,
            thumbnail_key: None,
            width: None,
            height: None,
        };
        let outcome = match checked {
            Ok(processed) => {
                let (original_key, thumbnail_key) =
                    keys::published(product_id, image_id, processed.extension);
                self.publish(&original_key, processed.content_type, processed.original)
                    .await?;
                self.publish(&thumbnail_key, "image/jpeg", processed.thumbnail)
                    .await?;
                image.status = ImageStatus::Ready;
                image.content_type = processed.content_type.to_owned();
                image.original_key = Some(original_key);
                image.thumbnail_key = Some(thumbnail_key);
                image.width = Some(processed.width);
                image.height = Some(processed.height);
                Outcome::Ready
            }
            Err(Rejected(reason)) => {
                tracing::info!(product.id = %product_id, image.id = %image_id, reason, "upload rejected");
                Outcome::Rejected
            }
        };
        let changed =
            repo::finish_image(&self.table, product_id, &image, crate::clock::now()).await?;
        tracing::info!(product.id = %product_id, image.id = %image_id, status = ?image.status, changed, "upload processed");
        // The upload is no longer needed: what was checked is published, or it was refused.
        self.delete_upload(bucket, key).await?;
        Ok(if changed { outcome } else { Outcome::Skipped })
    }

    async fn publish(&self, key: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), ApiError> {
        self.s3
            .put_object()
            .bucket(&self.images_bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await?;
        Ok(())
    }

    async fn delete_upload(&self, bucket: &str, key: &str) -> Result<(), ApiError> {
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await?;
        Ok(())
    }
}
