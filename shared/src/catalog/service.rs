//! The rules of the catalog: who sees what, validation, ETags, uploads.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use serde::Serialize;

use super::model::{
    IMAGE_TYPES, ImageItem, ImageStatus, MAX_IMAGE_BYTES, Product, ProductFields, ProductItem,
    check, index_keys,
};
use super::repo::{self, Listing, Position};
use crate::auth::Principal;
use crate::config::{ConfigError, optional_string};
use crate::db::Table;
use crate::error::{ApiError, FieldError};
use crate::http::{Page, PageRequest, etag, etag_matches};
use crate::secrets::LazySigning;

/// How long a presigned upload works.
pub const UPLOAD_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone)]
pub struct CatalogSettings {
    /// `STORE_CURRENCY` (ISO 4217, default `EUR`): the one currency of every price.
    pub currency: String,
    /// `UPLOADS_BUCKET`: where browsers upload images.
    pub uploads_bucket: String,
    /// Where image URLs point: `IMAGES_BASE_URL` if set (a CDN), else the images bucket
    /// (`IMAGES_BUCKET`) at the S3 endpoint in use.
    pub images_base_url: String,
}

impl CatalogSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let images_bucket = optional_string("IMAGES_BUCKET", "");
        let endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        let derived = match endpoint {
            // A local stand-in serves buckets by path.
            Some(endpoint) => format!("{}/{images_bucket}", endpoint.trim_end_matches('/')),
            None => format!(
                "https://{images_bucket}.s3.{}.amazonaws.com",
                optional_string("AWS_REGION", "us-east-1")
            ),
        };
        let currency = optional_string("STORE_CURRENCY", "EUR");
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ConfigError::Invalid {
                name: "STORE_CURRENCY",
                reason: format!("`{currency}` is not an ISO 4217 code"),
            });
        }
        Ok(Self {
            currency,
            uploads_bucket: optional_string("UPLOADS_BUCKET", ""),
            images_base_url: optional_string("IMAGES_BASE_URL", &derived),
        })
    }
}

/// `GET /products` parameters.
#[derive(Debug, Default, Clone)]
pub struct ListParams {
    pub category: Option<String>,
    pub q: Option<String>,
    pub include_inactive: bool,
    pub page: PageRequest,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: Self::DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

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

pub struct Catalog {
    pub table: Table,
    pub settings: CatalogSettings,
    pub signing: LazySigning,
    pub s3: Option<aws_sdk_s3::Client>,
}

/// `{"product": ...}`, as the product routes answer.
#[derive(Debug, Serialize)]
pub struct ProductEnvelope {
    pub product: Product,
}

/// A product written by a create or an update, with its new `ETag`.
pub fn product_response(
    status: lambda_http::http::StatusCode,
    product: Product,
) -> crate::http::HandlerResult {
    let tag = etag(&product);
    let mut response = crate::http::json(status, &ProductEnvelope { product })?;
    if let Ok(value) = lambda_http::http::HeaderValue::from_str(&tag) {
        response
            .headers_mut()
            .insert(lambda_http::http::header::ETAG, value);
    }
    Ok(response)
}

impl Catalog {
    /// The principal if the request carries a token (a bad one is still a 401).
    pub async fn optional_principal(
        &self,
        request: &lambda_http::Request,
    ) -> Result<Option<Principal>, ApiError> {
        if request
            .headers()
            .contains_key(lambda_http::http::header::AUTHORIZATION)
        {
            let issuer = &self.signing.get().await?.issuer;
            crate::auth::authenticate(request, issuer).map(Some)
        } else {
            Ok(None)
        }
    }

    pub async fn admin(&self, request: &lambda_http::Request) -> Result<Principal, ApiError> {
        let issuer = &self.signing.get().await?.issuer;
        let principal = crate::auth::authenticate(request, issuer)?;
        principal.require_admin()?;
        Ok(principal)
    }

    fn view(&self, item: &ProductItem) -> Product {
        item.view(&self.settings.images_base_url)
    }

    /// `GET /products`.
    pub async fn list(
        &self,
        principal: Option<&Principal>,
        params: ListParams,
    ) -> Result<Page<Product>, ApiError> {
        let is_admin = principal.is_some_and(|p| p.require_admin().is_ok());
        if params.include_inactive && !is_admin {
            return Err(ApiError::Forbidden);
        }
        let mut errors = Vec::new();
        if let Some(category) = &params.category {
            let mut probe = ProductFields {
                category: Some(category.clone()),
                ..Default::default()
            };
            errors.extend(check(&mut probe));
        }
        let q = params.q.as_deref().map(|q| q.trim().to_lowercase());
        if let Some(q) = &q
            && !(1..=200).contains(&q.chars().count())
        {
            errors.push(FieldError::new("q", "must be 1-200 characters"));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let listing = match (&q, &params.category) {
            (Some(q), category) => Listing {
                index: "gsi3",
                partition: ("gsi3pk", "NAME".to_owned()),
                sort_prefix: Some(("gsi3sk", q.clone())),
                category: category.clone(),
                active_only: !params.include_inactive,
            },
            (None, Some(category)) => Listing {
                index: "gsi2",
                partition: ("gsi2pk", format!("CATEGORY#{category}")),
                sort_prefix: None,
                category: None,
                active_only: !params.include_inactive,
            },
            (None, None) => Listing {
                index: "gsi1",
                partition: ("gsi1pk", "CATALOG".to_owned()),
                sort_prefix: None,
                category: None,
                active_only: !params.include_inactive,
            },
        };
        // A cursor belongs to one listing: the same filters, the same visibility.
        let scope = format!(
            "products|{}|{}|{}",
            params.category.as_deref().unwrap_or(""),
            q.as_deref().unwrap_or(""),
            params.include_inactive
        );
        // The key is read only when a cursor is read or written.
        let start = match &params.page.cursor {
            Some(cursor) => {
                let codec = &self.signing.get().await?.cursors;
                Some(checked_position(
                    codec.decode::<Position>(&scope, cursor)?,
                    &listing,
                )?)
            }
            None => None,
        };
        let (items, next) =
            repo::list(&self.table, &listing, params.page.limit as usize, start).await?;
        let next_cursor = match next {
            Some(position) => Some(
                self.signing
                    .get()
                    .await?
                    .cursors
                    .encode(&scope, &position)?,
            ),
            None => None,
        };
        Ok(Page {
            items: items.iter().map(|item| self.view(item)).collect(),
            next_cursor,
        })
    }

    /// `GET /products/{id}`: inactive products only for admins.
    pub async fn get(&self, principal: Option<&Principal>, id: &str) -> Result<Product, ApiError> {
        let is_admin = principal.is_some_and(|p| p.require_admin().is_ok());
        match repo::get(&self.table, id).await? {
            Some(item) if item.active || is_admin => Ok(self.view(&item)),
            _ => Err(ApiError::NotFound),
        }
    }

    /// `POST /products`.
    pub async fn create(&self, mut fields: ProductFields, now: i64) -> Result<Product, ApiError> {
        let mut errors = check(&mut fields);
        let required = [
            ("sku", fields.sku.is_none()),
            ("name", fields.name.is_none()),
            ("price_cents", fields.price_cents.is_none()),
            ("category", fields.category.is_none()),
            ("stock", fields.stock.is_none()),
        ];
        for (field, missing) in required {
            if missing {
                errors.push(FieldError::new(field, "is required"));
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let id = ulid::Ulid::new().to_string();
        let name = fields.name.unwrap_or_default();
        let category = fields.category.unwrap_or_default();
        let [
            (_, gsi1pk),
            (_, gsi1sk),
            (_, gsi2pk),
            (_, gsi2sk),
            (_, gsi3pk),
            (_, gsi3sk),
        ] = index_keys(&id, &category, &name);
        let item = ProductItem {
            pk: repo::product_pk(&id),
            sk: repo::PRODUCT_SK.to_owned(),
            id,
            sku: fields.sku.unwrap_or_default(),
            name,
            description: fields.description.unwrap_or_default(),
            price_cents: fields.price_cents.unwrap_or_default(),
            currency: self.settings.currency.clone(),
            category,
            stock: fields.stock.unwrap_or_default(),
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

    /// `PATCH /products/{id}`, honouring `If-Match`.
    pub async fn update(
        &self,
        id: &str,
        mut fields: ProductFields,
        if_match: Option<&str>,
        now: i64,
    ) -> Result<Product, ApiError> {
        let errors = check(&mut fields);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let current = repo::get(&self.table, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if let Some(expected) = if_match
            && !etag_matches(expected, &etag(&self.view(&current)))
        {
            return Err(ApiError::PreconditionFailed);
        }
        let updated = repo::update(&self.table, &current, &fields, now).await?;
        tracing::info!(product.id = %id, "product updated");
        Ok(self.view(&updated))
    }

    /// `DELETE /products/{id}`: the product becomes inactive; orders keep their history.
    pub async fn deactivate(&self, id: &str, now: i64) -> Result<(), ApiError> {
        // Retried if the product changes between the read and the write.
        for _ in 0..3 {
            let current = repo::get(&self.table, id)
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
        product_id: &str,
        content_type: &str,
        content_length: i64,
        now: i64,
    ) -> Result<Upload, ApiError> {
        let mut errors = Vec::new();
        if !IMAGE_TYPES.contains(&content_type) {
            errors.push(FieldError::new(
                "content_type",
                "must be image/jpeg, image/png or image/webp",
            ));
        }
        if !(1..=MAX_IMAGE_BYTES).contains(&content_length) {
            errors.push(FieldError::new(
                "content_length",
                "must be from 1 to 5242880 bytes",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let s3 = self
            .s3
            .as_ref()
            .ok_or_else(|| ApiError::internal("this function has no S3 client"))?;
        let image = ImageItem {
            id: ulid::Ulid::new().to_string(),
            status: ImageStatus::Pending,
            content_type: content_type.to_owned(),
            original_key: None,
            thumbnail_key: None,
            width: None,
            height: None,
        };
        repo::add_image(&self.table, product_id, &image, now).await?;
        let key = super::upload_key(product_id, &image.id);
        let presigning = PresigningConfig::expires_in(UPLOAD_TTL).map_err(ApiError::internal)?;
        let presigned = s3
            .put_object()
            .bucket(&self.settings.uploads_bucket)
            .key(&key)
            .content_type(content_type)
            .content_length(content_length)
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

/// A decoded cursor must name exactly the keys of the listing's index.
fn checked_position(position: Position, listing: &Listing) -> Result<Position, ApiError> {
    let sort_key = match listing.index {
        "gsi2" => "gsi2sk",
        "gsi3" => "gsi3sk",
        _ => "gsi1sk",
    };
    let expected = ["pk", "sk", listing.partition.0, sort_key];
    let ok = position.len() == expected.len()
        && expected.iter().all(|k| position.contains_key(*k))
        && position.get(listing.partition.0) == Some(&listing.partition.1);
    if ok {
        Ok(position)
    } else {
        Err(ApiError::InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_must_name_the_keys_of_its_index() {
        let listing = Listing {
            index: "gsi2",
            partition: ("gsi2pk", "CATEGORY#mugs".to_owned()),
            sort_prefix: None,
            category: None,
            active_only: true,
        };
        let good: Position = [
            ("pk", "P"),
            ("sk", "S"),
            ("gsi2pk", "CATEGORY#mugs"),
            ("gsi2sk", "01J"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert!(checked_position(good.clone(), &listing).is_ok());
        let mut other_category = good.clone();
        other_category.insert("gsi2pk".into(), "CATEGORY#hats".into());
        assert!(checked_position(other_category, &listing).is_err());
        let mut extra = good;
        extra.insert("gsi1sk".into(), "x".into());
        assert!(checked_position(extra, &listing).is_err());
    }
}
