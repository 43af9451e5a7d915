//! One batch of mail jobs; the ones that fail are named in the answer, so only they return to
//! the queue (`ReportBatchItemFailures`).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use shared::ApiError;
use shared::accounts::Accounts;
use shared::error::cause_chain;
use shared::events::Error;
use shared::mail::{MailJob, Mailer};
use shared::orders::emails::{OrderEmail, OrderMail, render};

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
    };
    let Some(order) = s.orders.unsent(kind, order_id).await? else {
        return Ok(());
    };
    let recipient = if order.user_id.is_empty() {
        // A guest's: to the order's own email, by the name it ships to.
        Some((
            order.email.clone(),
            order.shipping_address.name.as_str().to_owned(),
        ))
    } else {
        s.accounts.recipient(&order.user_id).await?
    };
    let Some(recipient) = recipient else {
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

#[cfg(test)]
mod tests;
