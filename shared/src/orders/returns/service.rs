//! The returns' rules, as the orders service's: a customer asks, staff receive or reject; each
//! step mails the customer.

use super::{
    NewReturn, Receipt, Rejection, Return, ReturnItem, ReturnStatus, order_update, plan, put,
    settle,
};
use crate::audit::Act;
use crate::auth::Principal;
use crate::cursor::{Page, PageRequest};
use crate::db::{Index, Position, from_item, newest_first, string};
use crate::error::{ApiError, ErrorCode};
use crate::ids::Id;
use crate::mail::{MailJob, MailQueue};
use crate::orders::refunds::Ask;
use crate::orders::repo;
use crate::orders::service::{Orders, queue};
use crate::payments::PaymentProvider;
use crate::secrets::Keys;

/// `{"return": ...}`.
#[derive(Debug, serde::Serialize)]
pub struct ReturnEnvelope {
    #[serde(rename = "return")]
    pub item: Return,
}

fn not_requested(item: &ReturnItem) -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail: format!(
            "A return that is {} cannot be received or rejected.",
            item.status.as_str()
        ),
    }
}

fn handled_meanwhile() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::InvalidTransition,
        detail: "This return was received or rejected meanwhile.".to_owned(),
    }
}

impl Orders {
    /// `POST /orders/{id}/returns`: the order's customer asks to send units back. The return and
    /// its lines' count of returned units are one transaction, conditional on what was read
    /// (re-planned when the order moved meanwhile). Anyone else's order is `404`.
    pub async fn request_return(
        &self,
        principal: &Principal,
        id: &Id,
        asked: NewReturn,
        mail: &MailQueue,
        now: i64,
    ) -> Result<ReturnEnvelope, ApiError> {
        let lines: Vec<(Id, i64)> = asked
            .lines
            .into_iter()
            .map(|line| (line.variant_id, line.quantity.get()))
            .collect();
        let mut tries = crate::db::Contention::for_orders();
        loop {
            let order = match repo::get(&self.table, id.as_str()).await? {
                Some(order) if order.user_id == principal.user_id => order,
                _ => return Err(ApiError::NotFound),
            };
            let planned = plan(&order, &lines, asked.reason.0.clone(), now)?;
            let writes = vec![
                put(&self.table, &planned.item)?,
                order_update(&self.table, &order.id, &planned.lines, true, now)?,
            ];
            let token = format!("return {} {}", planned.item.id, tries.attempt());
            match crate::db::transact(&self.table, writes, Some(&token)).await {
                Ok(()) => {
                    tracing::info!(order_id = %order.id, return.id = %planned.item.id, "return requested");
                    mail_about(mail, &planned.item).await;
                    return Ok(ReturnEnvelope {
                        item: planned.item.view(),
                    });
                }
                Err(err) if crate::db::refusals(&err).iter().any(|r| r.failed) => {
                    if !tries.lost().await {
                        return Err(ApiError::unavailable(
                            "the order kept changing while its return was asked for",
                        ));
                    }
                }
                Err(err) => return Err(crate::db::transaction_failed(err)),
            }
        }
    }

    /// `GET /admin/returns`: every return, or those in `status`, newest first; staff and admins.
    pub async fn list_returns(
        &self,
        principal: &Principal,
        status: Option<ReturnStatus>,
        page: PageRequest,
        keys: &Keys,
        now: i64,
    ) -> Result<Page<Return>, ApiError> {
        principal.require_staff()?;
        let (index, partition, scope) = match status {
            Some(status) => (
                Index::Gsi2,
                super::status_key(status),
                format!("returns|{}", status.as_str()),
            ),
            None => (Index::Gsi3, super::ALL.to_owned(), "returns|all".to_owned()),
        };
        let limit = page.limit as usize;
        let found = keys
            .cursors()
            .read_page(
                &scope,
                page.cursor.as_deref(),
                now,
                |start: Option<Position>| async move {
                    let (items, next) =
                        newest_first(&self.table, index, &partition, limit, start).await?;
                    let items = items
                        .into_iter()
                        .map(from_item::<ReturnItem>)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((items, next))
                },
            )
            .await?;
        Ok(found.map(|item| item.view()))
    }

    async fn requested(&self, id: &Id) -> Result<ReturnItem, ApiError> {
        let item: ReturnItem = self
            .table
            .get(&super::key(id.as_str()), super::SK)
            .await?
            .ok_or(ApiError::NotFound)?;
        if item.status != ReturnStatus::Requested {
            return Err(not_requested(&item));
        }
        Ok(item)
    }

    /// `POST /admin/returns/{id}/receive`: staff and admins. The return is `received` in the
    /// transaction of its refund (the lines' paid share not refunded yet) and, with `restock`,
    /// of its units' movements back to stock; the refund is then asked of the provider.
    pub async fn receive_return(
        &self,
        principal: &Principal,
        id: &Id,
        receipt: Receipt,
        payments: &impl PaymentProvider,
        mail: &MailQueue,
        now: i64,
    ) -> Result<ReturnEnvelope, ApiError> {
        principal.require_staff()?;
        let mut item = self.requested(id).await?;
        let ask = Ask {
            amount: None,
            lines: Some(item.asked()),
            restock: receipt.restock,
            reason: format!("return {}", item.id),
            actor: principal.clone(),
            fit: true,
        };
        // The refund's id is only known once it is planned: the return names it afterwards,
        // in the answer and the timeline, from the refund's own record.
        let mark = settle(
            &self.table,
            &item,
            ReturnStatus::Received,
            &principal.user_id,
            &[(
                "restock",
                aws_sdk_dynamodb::types::AttributeValue::Bool(receipt.restock),
            )],
            now,
        )?;
        let before = item.clone();
        item.handled(ReturnStatus::Received, principal, now);
        item.restock = receipt.restock;
        let act = Act::new(principal, "return.receive");
        let entry = act.put(
            &self.table,
            "return",
            &item.id,
            Some(&before),
            Some(&item),
            now,
        )?;
        let refund = self
            .write_refund(&item.order_id, &ask, &[mark, entry], handled_meanwhile, now)
            .await?;
        if let Some(refund) = &refund {
            item.refund_id = Some(refund.id.clone());
            self.name_refund(&item, &refund.id).await;
            self.ask_refund(refund, payments, now).await;
        }
        tracing::info!(return.id = %item.id, order_id = %item.order_id, by = %principal.user_id, "return received");
        mail_about(mail, &item).await;
        Ok(ReturnEnvelope { item: item.view() })
    }

    /// Writes the id of a received return's refund on the return (a failure is logged: the
    /// refund's record names the return in its reason).
    async fn name_refund(&self, item: &ReturnItem, refund_id: &str) {
        let written = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", string(&item.pk))
            .key("sk", string(&item.sk))
            .update_expression("SET refund_id = :refund")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":refund", string(refund_id))
            .send()
            .await;
        if let Err(err) = written {
            tracing::warn!(return.id = %item.id, error = %crate::error::cause_chain(&err), "the return's refund id not written on it");
        }
    }

    /// `POST /admin/returns/{id}/reject`: staff and admins. The return is `rejected` and its
    /// units come off its lines' count in one transaction: they may be asked back again.
    pub async fn reject_return(
        &self,
        principal: &Principal,
        id: &Id,
        rejection: Rejection,
        mail: &MailQueue,
        now: i64,
    ) -> Result<ReturnEnvelope, ApiError> {
        principal.require_staff()?;
        let mut item = self.requested(id).await?;
        let before = item.clone();
        let order = repo::get(&self.table, &item.order_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let lines: Vec<(usize, i64, i64)> = item
            .lines
            .iter()
            .filter_map(|line| {
                let index = order
                    .lines
                    .iter()
                    .position(|l| l.variant() == line.variant_id)?;
                Some((index, line.quantity, 0))
            })
            .collect();
        let mut writes = vec![
            settle(
                &self.table,
                &item,
                ReturnStatus::Rejected,
                &principal.user_id,
                &[("rejection_reason", string(&rejection.reason.0))],
                now,
            )?,
            order_update(&self.table, &order.id, &lines, false, now)?,
        ];
        item.handled(ReturnStatus::Rejected, principal, now);
        item.rejection_reason = Some(rejection.reason.0);
        let act = Act::new(principal, "return.reject");
        writes.push(act.put(
            &self.table,
            "return",
            &item.id,
            Some(&before),
            Some(&item),
            now,
        )?);
        match crate::db::transact(&self.table, writes, None).await {
            Ok(()) => {}
            Err(err) if crate::db::condition_failed_at(&err, 0) => {
                return Err(handled_meanwhile());
            }
            Err(err) => return Err(crate::db::transaction_failed(err)),
        }
        tracing::info!(return.id = %item.id, order_id = %item.order_id, by = %principal.user_id, "return rejected");
        mail_about(mail, &item).await;
        Ok(ReturnEnvelope { item: item.view() })
    }
}

/// Queues the email that tells the customer where their return stands.
async fn mail_about(mail: &MailQueue, item: &ReturnItem) {
    queue(
        mail,
        MailJob::ReturnUpdate {
            return_id: item.id.clone(),
            status: item.status.as_str().to_owned(),
        },
    )
    .await;
}
