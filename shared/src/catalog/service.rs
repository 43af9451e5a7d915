//! The rules of the catalog: who sees what, listings, writes, uploads. On domain types only;
//! the HTTP layer reads the principal and the body, and writes the answer.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use serde::Serialize;

use super::keys;
use super::model::{
    ImageItem, ImageStatus, NewImage, Product, ProductFields, ProductItem, index_attributes,
};
use super::repo::{self, Position, checked_position};
use super::rules;
use crate::auth::Principal;
use crate::config::{Config, ConfigError};
use crate::db::Table;
use crate::error::{ApiError, FieldError};
use crate::etag;
use crate::ids::Id;
use crate::secrets::LazyKeys;

/// How long a presigned upload works.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone)]
pub struct CatalogSettings {
    /// The one currency of every price.
    pub currency: String,
    /// Where image URLs point: `IMAGES_BASE_URL` if set (a CDN), else the images bucket at the
    /// S3 endpoint in use.
    pub images_base_url: String,
}

impl CatalogSettings {
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let images_base_url = match &config.images_base_url {
            Some(url) => url.clone(),
            None => {
                let bucket = config.required(&config.images_bucket, "IMAGES_BUCKET")?;
                match &config.s3_endpoint {
                    // A local stand-in serves buckets by path.
                    Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
                    None => format!("https://{bucket}.s3.{}.amazonaws.com", config.region),
                }
            }
        };
        Ok(Self {
            currency: config.currency.clone(),
            images_base_url,
        })
    }
}

/// `GET /products` parameters.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub category: Option<String>,
    pub q: Option<String>,
    pub include_inactive: bool,
    pub limit: u32,
    pub cursor: Option<String>,
}

pub use crate::cursor::Page;

/// At or below this many units a product is low on stock.
pub const LOW_STOCK: i64 = 5;

/// The answer to `POST /products/{id}/images`.
#[derive(Debug, Serialize)]
pub struct Upload {
    pub image_id: String,
    pub upload: UploadRequest,
    pub expires_in: u64,
}

#[derive(Debug, Serialize)]
pub struct UploadRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

/// The uploads bucket, for the one function that presigns uploads into it.
#[derive(Debug, Clone)]
pub struct Uploads {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl Uploads {
    /// The bucket `UPLOADS_BUCKET` names.
    pub fn from_config(sdk: &aws_config::SdkConfig, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            s3: crate::aws::s3(sdk, config),
            bucket: config.required(&config.uploads_bucket, "UPLOADS_BUCKET")?,
        })
    }
}

/// `{"product": ...}`, as the product routes answer, with its `ETag`.
#[derive(Debug, Serialize)]
pub struct ProductEnvelope {
    pub product: Product,
}

impl ProductEnvelope {
    /// The ETag `PATCH` compares `If-Match` with.
    pub fn etag(&self) -> String {
        etag::of(&self.product)
    }

    /// The envelope's JSON and the product's ETag, the product serialised once.
    pub fn tagged(&self) -> Result<etag::Tagged, ApiError> {
        etag::Tagged::of(&self.product)
            .and_then(|product| product.wrapped("product"))
            .map_err(ApiError::internal)
    }
}

pub struct Catalog {
    pub table: Table,
    pub settings: CatalogSettings,
}

impl Catalog {
    pub fn new(table: Table, config: &Config) -> Result<Self, ConfigError> {
        Ok(Self {
            table,
            settings: CatalogSettings::new(config)?,
        })
    }

    fn view(&self, item: &ProductItem) -> ProductEnvelope {
        ProductEnvelope {
            product: item.view(&self.settings.images_base_url),
        }
    }

    /// `GET /products`: active products for everyone; admins may ask for the inactive ones too
    /// (anyone else asking is `401` without a token, `403` with one).
    pub async fn list(
        &self,
        principal: Option<&Principal>,
        cursors: &LazyKeys,
        params: ListParams,
        now: i64,
    ) -> Result<Page<Product>, ApiError> {
        rules::may_list(principal, &params)?;
        let (listing, scope) = rules::listing(&params)?;
        // The key is read only when a cursor is read or written.
        let start = match &params.cursor {
            Some(cursor) => {
                let codec = cursors.get().await?.cursors();
                Some(checked_position(
                    codec.decode::<Position>(&scope, cursor, now)?,
                    &listing,
                )?)
            }
            None => None,
        };
        let (items, next) = repo::list(&self.table, &listing, params.limit as usize, start).await?;
        let next_cursor = match next {
            Some(position) => Some(
                cursors
                    .get()
                    .await?
                    .cursors()
                    .encode(&scope, &position, now)?,
            ),
            None => None,
        };
        Ok(Page {
            items: items.iter().map(|item| self.view(item).product).collect(),
            next_cursor,
        })
    }

    /// The products `GET /admin/stats` warns about: active, five units or fewer; admins only.
    pub async fn low_stock(&self, principal: &Principal) -> Result<Vec<repo::LowStock>, ApiError> {
        principal.require_admin()?;
        repo::low_stock(&self.table, LOW_STOCK).await
    }

    /// `GET /products/{id}`: inactive products only for admins.
    pub async fn get(
        &self,
        principal: Option<&Principal>,
        id: &Id,
    ) -> Result<ProductEnvelope, ApiError> {
        let is_admin = principal.is_some_and(Principal::is_admin);
        match repo::get(&self.table, id.as_str()).await? {
            Some(item) if item.active || is_admin => Ok(self.view(&item)),
            _ => Err(ApiError::NotFound),
        }
    }

    /// `POST /products`.
    pub async fn create(
        &self,
        fields: ProductFields,
        now: i64,
    ) -> Result<ProductEnvelope, ApiError> {
        let (Some(sku), Some(name), Some(price), Some(category), Some(stock)) = (
            fields.sku,
            fields.name,
            fields.price_cents,
            fields.category,
            fields.stock,
        ) else {
            let missing = <ProductFields as crate::http::Input>::REQUIRED
                .iter()
                .map(|f| FieldError::new(*f, "is required"));
            return Err(ApiError::Validation(missing.collect()));
        };
        let id = Id::new().to_string();
        let [
            (_, gsi1pk),
            (_, gsi1sk),
            (_, gsi2pk),
            (_, gsi2sk),
            (_, gsi3pk),
            (_, gsi3sk),
        ] = index_attributes(&id, category.as_str(), name.as_str());
        let item = ProductItem {
            pk: keys::product(&id),
            sk: keys::PRODUCT_SK.to_owned(),
            id,
            sku: sku.as_str().to_owned(),
            name: name.as_str().to_owned(),
            description: fields
                .description
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
            price_cents: price.get(),
            currency: self.settings.currency.clone(),
            category: category.as_str().to_owned(),
            stock: stock.get(),
            active: fields.active.unwrap_or(true),
            images: Default::default(),
            created_at: now,
            updated_at: now,
            version: 1,
            gsi1pk,
            gsi1sk,
            gsi2pk,
            gsi2sk,
            gsi3pk,
            gsi3sk,
        };
        repo::create(&self.table, &item).await?;
        tracing::info!(product.id = %item.id, "product created");
        Ok(self.view(&item))
    }

    /// `PATCH /products/{id}`, honouring `If-Match` (strong comparison).
    pub async fn update(
        &self,
        id: &Id,
        fields: ProductFields,
        if_match: Option<&str>,
        now: i64,
    ) -> Result<ProductEnvelope, ApiError> {
        let current = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        if let Some(expected) = if_match
            && !etag::if_match(expected, &self.view(&current).etag())
        {
            return Err(ApiError::PreconditionFailed);
        }
        let updated = repo::update(&self.table, &current, &fields, now).await?;
        tracing::info!(product.id = %id, "product updated");
        Ok(self.view(&updated))
    }

    /// `DELETE /products/{id}`: the product becomes inactive; orders keep their history.
    pub async fn deactivate(&self, id: &Id, now: i64) -> Result<(), ApiError> {
        // Retried if the product changes between the read and the write.
        for _ in 0..3 {
            let current = repo::get(&self.table, id.as_str())
                .await?
                .ok_or(ApiError::NotFound)?;
            if !current.active {
                return Ok(());
            }
            let fields = ProductFields {
                active: Some(false),
                ..Default::default()
            };
            match repo::update(&self.table, &current, &fields, now).await {
                Err(ApiError::PreconditionFailed) => continue,
                other => {
                    other?;
                    tracing::info!(product.id = %id, "product deactivated");
                    return Ok(());
                }
            }
        }
        Err(ApiError::unavailable("the product kept changing"))
    }

    /// `POST /products/{id}/images`: a pending image, and a presigned PUT that pins its key, its
    /// content type and its exact length (both are signed headers: S3 refuses any other).
    pub async fn add_image(
        &self,
        uploads: &Uploads,
        product_id: &Id,
        image: NewImage,
        now: i64,
    ) -> Result<Upload, ApiError> {
        let (Some(content_type), Some(content_length)) = (image.content_type, image.content_length)
        else {
            let missing = <NewImage as crate::http::Input>::REQUIRED
                .iter()
                .map(|f| FieldError::new(*f, "is required"));
            return Err(ApiError::Validation(missing.collect()));
        };
        let image = ImageItem {
            id: Id::new().to_string(),
            status: ImageStatus::Pending,
            content_type: content_type.as_str().to_owned(),
            original_key: None,
            thumbnail_key: None,
            width: None,
            height: None,
        };
        repo::add_image(&self.table, product_id.as_str(), &image, now).await?;
        let key = keys::upload(product_id.as_str(), &image.id);
        let presigning = PresigningConfig::expires_in(UPLOAD_TTL).map_err(ApiError::internal)?;
        let presigned = uploads
            .s3
            .put_object()
            .bucket(&uploads.bucket)
            .key(&key)
            .content_type(content_type.as_str())
            .content_length(content_length.get())
            .presigned(presigning)
            .await
            .map_err(ApiError::unavailable)?;
        tracing::info!(product.id = %product_id, image.id = %image.id, "image upload presigned");
        Ok(Upload {
            image_id: image.id,
            upload: UploadRequest {
                method: "PUT",
                url: presigned.uri().to_owned(),
                headers: presigned
                    .headers()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            },
            expires_in: UPLOAD_TTL.as_secs(),
        })
    }
}
