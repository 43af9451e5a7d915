//! Payments: the provider interface the orders domain pays and refunds through, and Stripe as
//! its one implementation (a small typed client for the four calls the shop makes, see
//! [`stripe`]). Card data never passes through this API: the shop's front end confirms a payment
//! with the provider, and the provider tells the webhook function what happened.

pub mod stripe;
pub mod webhook;

use std::future::Future;

use crate::error::ApiError;

/// A payment the customer is asked to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    /// What the front end confirms the payment with.
    pub client_secret: String,
    pub status: String,
}

/// What the orders domain needs of a payment provider. Every call is idempotent on the
/// provider's side: a retried checkout or cancellation never charges or refunds twice.
pub trait PaymentProvider: Send + Sync {
    /// The provider's name, as orders record it (`stripe`).
    fn name(&self) -> &'static str;

    /// Asks for `amount_cents` in `currency` for `order_id`.
    fn create_intent(
        &self,
        order_id: &str,
        amount_cents: i64,
        currency: &str,
    ) -> impl Future<Output = Result<Intent, ApiError>> + Send;

    /// Withdraws a payment that will not be needed (the checkout failed after asking for it).
    fn cancel_intent(&self, intent_id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// Gives back `amount_cents` of a payment, as the refund `refund_id` of `order_id` (the
    /// provider's idempotency key: asking again for the same refund makes no second one).
    fn refund(
        &self,
        request: &RefundRequest<'_>,
    ) -> impl Future<Output = Result<ProviderRefund, ApiError>> + Send;
}

/// A refund asked of the provider.
#[derive(Debug, Clone, Copy)]
pub struct RefundRequest<'a> {
    pub intent_id: &'a str,
    pub amount_cents: i64,
    pub refund_id: &'a str,
    pub order_id: &'a str,
}

/// A refund as the provider answered: its id and where it stands (Stripe: `succeeded`,
/// `pending`, `requires_action`, `failed` or `canceled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    pub id: String,
    pub status: String,
}
