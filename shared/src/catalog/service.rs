//! The rules of the catalog: who sees what, listings, writes, uploads. On domain types only;
//! the HTTP layer reads the principal and the body, and writes the answer.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use serde::Serialize;

use super::edit::{self, Edit};
use super::keys;
use super::model::{ImageItem, ImageStatus, NewImage, Product, ProductFields, ProductItem};
use super::repo::{self, Position, Saved, checked_position};
use super::{rules, stock, variants};
use crate::audit::Act;
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
    /// `newest`, `price_asc` or `price_desc`; without it, creation order.
    pub sort: Option<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub include_inactive: bool,
    pub limit: u32,
    pub cursor: Option<String>,
}

pub use crate::cursor::Page;

/// At or below this many units a variant is low on stock.
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

    pub(super) fn view(&self, item: &ProductItem, staff: bool) -> ProductEnvelope {
        ProductEnvelope {
            product: item.view(&self.settings.images_base_url, staff),
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
            items: items
                .iter()
                .map(|item| self.view(item, params.include_inactive).product)
                .collect(),
            next_cursor,
        })
    }

    /// The products `GET /admin/stats` warns about: active, five units or fewer; admins only.
    pub async fn low_stock(&self, principal: &Principal) -> Result<Vec<repo::LowStock>, ApiError> {
        principal.require_staff()?;
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
            Some(item) if item.active || is_admin => Ok(self.view(&item, is_admin)),
            _ => Err(ApiError::NotFound),
        }
    }

    /// `POST /products`: the product and its variants (or its one default variant), each
    /// variant's stock its first movement.
    pub async fn create(
        &self,
        principal: &Principal,
        fields: ProductFields,
        now: i64,
    ) -> Result<ProductEnvelope, ApiError> {
        principal.require_staff()?;
        let id = Id::new();
        let edit = edit::new_product(
            &id,
            fields,
            &self.settings.currency,
            Some(&principal.user_id),
            now,
        )?;
        let act = Act::new(principal, "product.create");
        let item = match repo::save(&self.table, None, &edit, true, act, now).await? {
            Saved::Done(item, _) => *item,
            Saved::SkuTaken(field) => return Err(repo::sku_taken(&field)),
            Saved::Raced(_) | Saved::Short(_) => {
                return Err(ApiError::internal("a new product's write was refused"));
            }
        };
        tracing::info!(product.id = %item.id, variants = item.variants.len(), "product created");
        Ok(self.view(&item, true))
    }

    /// `PATCH /products/{id}`, honouring `If-Match` (strong comparison).
    pub async fn update(
        &self,
        principal: &Principal,
        id: &Id,
        fields: ProductFields,
        if_match: Option<&str>,
        now: i64,
    ) -> Result<ProductEnvelope, ApiError> {
        principal.require_staff()?;
        let current = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        self.update_read(principal, current, fields, if_match, now)
            .await
    }

    /// [`Self::update`] of the product as first read: the stock `count` it asks for is the
    /// difference from this read, applied to the stock there is when it is written.
    pub async fn update_read(
        &self,
        principal: &Principal,
        first: ProductItem,
        fields: ProductFields,
        if_match: Option<&str>,
        now: i64,
    ) -> Result<ProductEnvelope, ApiError> {
        let count = match fields.stock {
            Some(stock) => {
                let variant = variants::only_variant(&first.variants).ok_or_else(|| {
                    ApiError::validation(
                        "stock",
                        "belongs to a variant: this product has several (or none); use POST /products/{id}/variants/{variant_id}/stock",
                    )
                })?;
                Some(stock.get() - variant.stock)
            }
            None => None,
        };
        let mut current = first;
        let actor = Some(principal.user_id.as_str());
        let updated = self
            .write(
                &mut current,
                if_match,
                |product| edit::update_product(product, &fields, count, actor, now),
                "stock",
                Act::new(principal, "product.update"),
                now,
            )
            .await?;
        tracing::info!(product.id = %updated.id, "product updated");
        Ok(self.view(&updated, true))
    }

    /// Writes the edit `make` makes of `current`, read again and made again when the product
    /// changed meanwhile (stock that moved, another edit), a few times. `If-Match` is held
    /// against each read.
    pub(super) async fn write(
        &self,
        current: &mut ProductItem,
        if_match: Option<&str>,
        make: impl Fn(&ProductItem) -> Result<Edit, ApiError>,
        stock_field: &str,
        act: Act<'_>,
        now: i64,
    ) -> Result<ProductItem, ApiError> {
        let mut tries = crate::db::Contention::new();
        loop {
            if let Some(expected) = if_match
                && !etag::if_match(expected, &self.view(current, true).etag())
            {
                return Err(ApiError::PreconditionFailed);
            }
            let edit = make(current)?;
            match repo::save(&self.table, Some(current), &edit, true, act, now).await? {
                // Read again: the stock of the variants it did not move may have moved since
                // the read it was made from.
                Saved::Done(..) => {
                    return repo::get(&self.table, &current.id)
                        .await?
                        .ok_or(ApiError::NotFound);
                }
                Saved::SkuTaken(field) => return Err(repo::sku_taken(&field)),
                Saved::Short(short) => {
                    return Err(stock::out_of_stock(&short, |_| stock_field.to_owned()));
                }
                Saved::Raced(found) if tries.lost().await => {
                    *current = match found {
                        Some(found) => *found,
                        None => repo::get(&self.table, &current.id)
                            .await?
                            .ok_or(ApiError::NotFound)?,
                    };
                }
                Saved::Raced(_) => {
                    return Err(ApiError::unavailable(
                        "the product kept changing while it was written",
                    ));
                }
            }
        }
    }

    /// `DELETE /products/{id}`: the product becomes inactive; orders keep their history.
    pub async fn deactivate(
        &self,
        principal: &Principal,
        id: &Id,
        now: i64,
    ) -> Result<(), ApiError> {
        principal.require_staff()?;
        let mut current = repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)?;
        if !current.active {
            // Nothing to write; the request is still the staff member's act.
            let act = Act::new(principal, "product.deactivate");
            let entry = act.entry("product", id.as_str(), Some(&current), Some(&current), now);
            return crate::audit::note(&self.table, &entry).await;
        }
        let fields = ProductFields {
            active: Some(false),
            ..Default::default()
        };
        self.write(
            &mut current,
            None,
            |product| edit::update_product(product, &fields, None, None, now),
            "stock",
            Act::new(principal, "product.deactivate"),
            now,
        )
        .await?;
        tracing::info!(product.id = %id, "product deactivated");
        Ok(())
    }

    /// `POST /products/{id}/images`: a pending image, and a presigned PUT that pins its key, its
    /// content type and its exact length (both are signed headers: S3 refuses any other).
    pub async fn add_image(
        &self,
        principal: &Principal,
        uploads: &Uploads,
        product_id: &Id,
        image: NewImage,
        now: i64,
    ) -> Result<Upload, ApiError> {
        principal.require_staff()?;
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
        let act = Act::new(principal, "image.create");
        repo::add_image(&self.table, product_id.as_str(), &image, act, now).await?;
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
