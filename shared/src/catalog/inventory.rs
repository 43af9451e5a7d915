//! The variant routes and the stock ledger: variants added and changed, stock adjusted by
//! movements, a variant's movements read newest first.

use serde::Serialize;

use super::edit;
use super::model::ProductItem;
use super::repo::{self, Saved};
use super::service::Catalog;
use super::stock::{self, Adjustment, Change, Movement, Reason, Requires};
use super::variants::{NewVariant, Variant, VariantFields};
use crate::audit::Act;
use crate::auth::Principal;
use crate::cursor::{Page, PageRequest};
use crate::error::{ApiError, FieldError};
use crate::ids::Id;
use crate::secrets::Keys;

/// `{"variant": ...}`.
#[derive(Debug, Serialize)]
pub struct VariantEnvelope {
    pub variant: Variant,
}

/// `{"variant": ..., "movement": ...}`: a stock adjustment's answer.
#[derive(Debug, Serialize)]
pub struct Adjusted {
    pub variant: Variant,
    pub movement: Movement,
}

fn variant_of(product: &ProductItem, variant_id: &str) -> Result<Variant, ApiError> {
    product
        .variants
        .get(variant_id)
        .map(|v| v.view())
        .ok_or_else(|| ApiError::internal("a written variant is not in its product"))
}

impl Catalog {
    async fn product(&self, id: &Id) -> Result<ProductItem, ApiError> {
        repo::get(&self.table, id.as_str())
            .await?
            .ok_or(ApiError::NotFound)
    }

    /// `POST /products/{id}/variants`, the variant's id `id` (the same for every attempt at
    /// one request: an attempt after one that wrote it answers that variant).
    pub async fn add_variant(
        &self,
        principal: &Principal,
        product_id: &Id,
        id: &Id,
        new: NewVariant,
        now: i64,
    ) -> Result<VariantEnvelope, ApiError> {
        principal.require_staff()?;
        let mut current = self.product(product_id).await?;
        let id = id.to_string();
        let actor = Some(principal.user_id.as_str());
        // Written by an earlier attempt whose answer was lost (attempts at one key never run
        // at once).
        if let Some(made) = current.variants.get(&id) {
            return Ok(VariantEnvelope {
                variant: made.view(),
            });
        }
        let written = self
            .write(
                &mut current,
                None,
                |product| edit::add_variant(product, &id, &new, actor, now),
                "stock",
                Act::new(principal, "variant.create"),
                now,
            )
            .await?;
        tracing::info!(product.id = %product_id, variant.id = %id, "variant added");
        Ok(VariantEnvelope {
            variant: variant_of(&written, &id)?,
        })
    }

    /// `PATCH /products/{id}/variants/{variant_id}`: `404` for a variant not of this product.
    pub async fn update_variant(
        &self,
        principal: &Principal,
        product_id: &Id,
        variant_id: &Id,
        fields: VariantFields,
        now: i64,
    ) -> Result<VariantEnvelope, ApiError> {
        principal.require_staff()?;
        let mut current = self.product(product_id).await?;
        let written = self
            .write(
                &mut current,
                None,
                |product| edit::update_variant(product, variant_id.as_str(), &fields, now),
                "stock",
                Act::new(principal, "variant.update"),
                now,
            )
            .await?;
        tracing::info!(product.id = %product_id, variant.id = %variant_id, "variant updated");
        Ok(VariantEnvelope {
            variant: variant_of(&written, variant_id.as_str())?,
        })
    }

    /// `POST /products/{id}/variants/{variant_id}/stock`: `delta` added to the stock there is
    /// when it is written, never below zero (`409 out_of_stock`), as one movement.
    pub async fn adjust(
        &self,
        principal: &Principal,
        product_id: &Id,
        variant_id: &Id,
        adjustment: Adjustment,
        now: i64,
    ) -> Result<Adjusted, ApiError> {
        principal.require_staff()?;
        let (Some(delta), Some(reason)) = (adjustment.delta, adjustment.reason) else {
            return Err(ApiError::Validation(FieldError::each(
                &[
                    ("delta", adjustment.delta.is_none()),
                    ("reason", adjustment.reason.is_none()),
                ],
                "is required",
            )));
        };
        if delta.get() == 0 {
            return Err(ApiError::validation("delta", "must not be 0"));
        }
        let change = Change {
            product_id: product_id.to_string(),
            variant_id: variant_id.to_string(),
            delta: delta.get(),
            reason: Reason::from(reason),
            order_id: None,
            actor_id: Some(principal.user_id.clone()),
        };
        let mut current = self.product(product_id).await?;
        let mut tries = crate::db::Contention::new();
        loop {
            if !current.variants.contains_key(variant_id.as_str()) {
                return Err(ApiError::NotFound);
            }
            let mut edit = edit::Edit::of(current.clone());
            edit.stock.push((change.clone(), Requires::Nothing));
            let act = Act::new(principal, "stock.adjust");
            match repo::save(&self.table, Some(&current), &edit, false, act, now).await? {
                Saved::Done(written, movements) => {
                    let movement = movements
                        .first()
                        .map(|m| m.view())
                        .ok_or_else(|| ApiError::internal("an adjustment wrote no movement"))?;
                    tracing::info!(product.id = %product_id, variant.id = %variant_id, delta = change.delta, "stock adjusted");
                    return Ok(Adjusted {
                        variant: variant_of(&written, variant_id.as_str())?,
                        movement,
                    });
                }
                Saved::Short(short) => {
                    return Err(stock::out_of_stock(&short, |_| "delta".to_owned()));
                }
                Saved::SkuTaken(_) => {
                    return Err(ApiError::internal("an adjustment claims no SKU"));
                }
                Saved::Raced(found) if tries.lost().await => {
                    current = match found {
                        Some(found) => *found,
                        None => self.product(product_id).await?,
                    };
                }
                Saved::Raced(_) => {
                    return Err(ApiError::unavailable("the variant's stock kept moving"));
                }
            }
        }
    }

    /// `GET /admin/inventory/{variant_id}/movements`: newest first.
    pub async fn movements(
        &self,
        principal: &Principal,
        variant_id: &Id,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Movement>, ApiError> {
        principal.require_staff()?;
        let scope = format!("movements|{variant_id}");
        let limit = page.limit as usize;
        let found = keys
            .cursors()
            .read_page(&scope, page.cursor.as_deref(), now, |before| async move {
                stock::list(&self.table, variant_id.as_str(), limit, before).await
            })
            .await?;
        Ok(found.map(|m| m.view()))
    }
}
