//! One batch of mail jobs; the ones that fail are named in the answer, so only they return to
//! the queue (`ReportBatchItemFailures`).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use shared::ApiError;
use shared::accounts::Accounts;
use shared::error::cause_chain;
use shared::events::Error;
use shared::mail::{MailJob, Mailer};
use shared::orders::emails::{OrderEmail, OrderMail, render, render_return};
use shared::orders::model::OrderItem;
use shared::orders::returns::ReturnStatus;

shared::state! {
    /// The accounts (recipients, reset tokens), the orders' emails and the SES sender.
    pub struct State { accounts: Accounts, orders: OrderMail, mailer: Mailer }
}

pub async fn handle(s: &State, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for message in event.payload.records {
        let id = message.message_id.unwrap_or_default();
        let Some(job) = message
            .body
            .as_deref()
            .and_then(|body| serde_json::from_str::<MailJob>(body).ok())
        else {
            // No retry will make it readable: dropped, and said so.
            tracing::error!(message.id = %id, "a mail job that is not one; dropped");
            continue;
        };
        if let Err(err) = send(s, &job).await {
            tracing::error!(message.id = %id, email.kind = job.kind(), error = %cause_chain(&err), "email not sent; the queue will retry");
            response.add_failure(id);
        }
    }
    Ok(response)
}

async fn send(s: &State, job: &MailJob) -> Result<(), ApiError> {
    let now = shared::clock::now();
    let (kind, order_id) = match job {
        MailJob::PasswordReset { email } => {
            if let Some(email) = s.accounts.password_reset_email(email, now).await? {
                s.mailer.send(email).await?;
                tracing::info!(email.kind = job.kind(), "email sent");
            }
            return Ok(());
        }
        MailJob::LoginWarning { email } => {
            if let Some(email) = s.accounts.login_warning_email(email).await? {
                s.mailer.send(email).await?;
                tracing::info!(email.kind = job.kind(), "email sent");
            }
            return Ok(());
        }
        MailJob::OrderConfirmation { order_id } => (OrderEmail::Confirmation, order_id),
        MailJob::ShippingNotice { order_id } => (OrderEmail::ShippingNotice, order_id),
        MailJob::ReturnUpdate { return_id, status } => {
            return send_return(s, job, return_id, status, now).await;
        }
    };
    let Some(order) = s.orders.unsent(kind, order_id).await? else {
        return Ok(());
    };
    let Some(recipient) = recipient(s, &order).await? else {
        tracing::warn!(
            email.kind = job.kind(),
            "the order's customer has no account; nothing sent"
        );
        return Ok(());
    };
    let link = match kind {
        OrderEmail::Confirmation => s.orders.guest_link(&order).await?,
        OrderEmail::ShippingNotice => None,
    };
    s.mailer
        .send(render(kind, &order, recipient, link.as_deref()))
        .await?;
    // Marked after the send: a failure here sends the email again on the retry, which is
    // better than never sending it.
    s.orders.mark_sent(kind, order_id, now).await?;
    tracing::info!(email.kind = job.kind(), "email sent");
    Ok(())
}

/// Tells a return's customer where it stands, once per step.
async fn send_return(
    s: &State,
    job: &MailJob,
    return_id: &str,
    status: &str,
    now: i64,
) -> Result<(), ApiError> {
    let Some(status) = ReturnStatus::parse(status) else {
        tracing::error!(
            email.kind = job.kind(),
            "a return email of no known step; dropped"
        );
        return Ok(());
    };
    let Some((item, order)) = s.orders.unsent_return(return_id, status).await? else {
        return Ok(());
    };
    let Some(to) = recipient(s, &order).await? else {
        tracing::warn!(
            email.kind = job.kind(),
            "the order's customer has no account; nothing sent"
        );
        return Ok(());
    };
    s.mailer
        .send(render_return(&item, status, &order, to))
        .await?;
    s.orders.mark_return_sent(return_id, status, now).await?;
    tracing::info!(email.kind = job.kind(), "email sent");
    Ok(())
}

/// Whom an order's emails go to (address, name): a guest's to the order's own email, by the
/// name it ships to; a customer's to their account.
async fn recipient(s: &State, order: &OrderItem) -> Result<Option<(String, String)>, ApiError> {
    if order.user_id.is_empty() {
        return Ok(Some((
            order.email.clone(),
            order.shipping_address.name.as_str().to_owned(),
        )));
    }
    s.accounts.recipient(&order.user_id).await
}

#[cfg(test)]
mod tests;
