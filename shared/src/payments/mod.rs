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

    /// Gives back all the money of a payment; returns the refund's id.
    fn refund(
        &self,
        intent_id: &str,
        order_id: &str,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;
}
