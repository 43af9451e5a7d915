//! The discount codes' service: admins make, list and edit codes; a checkout or a quote asks
//! whether one applies.

use super::model::{Code, Discount, DiscountEnvelope, DiscountItem, DiscountPatch, NewDiscount};
use super::repo;
use crate::auth::Principal;
use crate::cursor::{Page, PageRequest};
use crate::db::Table;
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::pricing;
use crate::secrets::Keys;

#[derive(Debug, Clone)]
pub struct Discounts {
    table: Table,
}

impl Discounts {
    pub fn new(table: Table) -> Self {
        Self { table }
    }

    /// `POST /admin/discounts`: `409` when the code exists.
    pub async fn create(
        &self,
        principal: &Principal,
        new: NewDiscount,
        now: i64,
    ) -> Result<DiscountEnvelope, ApiError> {
        principal.require_admin()?;
        let item = DiscountItem::new(new, Id::new().as_str(), now)?;
        let act = crate::audit::Act::new(principal, "discount.create");
        if !repo::create(&self.table, &item, act, now).await? {
            return Err(ApiError::Conflict {
                code: ErrorCode::Conflict,
                detail: format!("The code {} exists.", item.code),
            });
        }
        Ok(DiscountEnvelope {
            discount: item.view(),
        })
    }

    /// `GET /admin/discounts`: every code, newest first.
    pub async fn list(
        &self,
        principal: &Principal,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Discount>, ApiError> {
        principal.require_admin()?;
        let limit = page.limit as usize;
        let found = keys
            .cursors()
            .read_page("discounts", page.cursor.as_deref(), now, |start| {
                repo::list(&self.table, limit, start)
            })
            .await?;
        Ok(found.map(|item| item.view()))
    }

    /// `PATCH /admin/discounts/{code}`: the fields sent, each checked against the others.
    pub async fn update(
        &self,
        principal: &Principal,
        code: &Code,
        patch: DiscountPatch,
        now: i64,
    ) -> Result<DiscountEnvelope, ApiError> {
        principal.require_admin()?;
        let mut tries = crate::db::Contention::new();
        loop {
            let current = repo::get(&self.table, code.as_str())
                .await?
                .ok_or(ApiError::NotFound)?;
            let mut next = current.patched(patch.clone(), now)?;
            let act = crate::audit::Act::new(principal, "discount.update");
            if repo::update(&self.table, &current, &next, act).await? {
                // Redemptions move meanwhile; the edit leaves them as they are.
                next.redemptions = current.redemptions;
                return Ok(DiscountEnvelope {
                    discount: next.view(),
                });
            }
            if !tries.lost().await {
                return Err(ApiError::unavailable("the discount code kept changing"));
            }
        }
    }

    /// The code and what it takes off an order of `subtotal` for `customer` (the key of the
    /// order's email; `None` for a quote without one), or `422 discount_invalid` saying why.
    pub async fn applicable(
        &self,
        code: &Code,
        subtotal: i64,
        customer: Option<&str>,
        now: i64,
    ) -> Result<(DiscountItem, pricing::Discount), ApiError> {
        let Some(item) = repo::get(&self.table, code.as_str()).await? else {
            return Err(invalid(format!(
                "The code {} does not exist.",
                code.as_str()
            )));
        };
        let used = match customer {
            Some(customer) if item.max_per_customer.is_some() => {
                repo::used(&self.table, &item.code, customer).await?
            }
            _ => 0,
        };
        let effect = item.applies(subtotal, now, used).map_err(invalid)?;
        Ok((item, effect))
    }
}

/// `422 discount_invalid`, saying why.
pub fn invalid(detail: String) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::DiscountInvalid,
        detail,
    }
}
