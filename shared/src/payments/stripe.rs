//! Stripe, through a small typed client of the calls the shop makes: create and cancel a
//! PaymentIntent, create a Refund. Stripe's own crates (async-stripe) generate the whole API,
//! thousands of types, which would multiply the build time and the size of every function
//! that pays; four form-encoded POSTs over the HTTP client the AWS SDK already brings
//! (hyper with rustls) cost neither.
//!
//! Every call carries Stripe's `Idempotency-Key` (derived from the order id), so a retried
//! checkout or cancellation never creates a second payment or refund. A call Stripe cannot
//! answer (unreachable, timed out, 5xx, 429) is a `503` to the client; a request Stripe refuses
//! is our bug, a `500` whose cause (Stripe's error type and code, never the key) is logged.

use std::time::Duration;

use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Intent, PaymentProvider, ProviderRefund, RefundRequest};
use crate::env::SecretSource;
use crate::error::ApiError;
use crate::secrets::SecretError;

/// How long one call to Stripe may take before the request answers 503.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The secret `STRIPE_KEY_SECRET_ARN` names.
#[derive(Deserialize)]
struct KeySecret {
    secret_key: String,
}

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The Stripe API, with the shop's secret key. The HTTPS client (and the system's root
/// certificates it loads, most of a cold start's instructions) is made on the first call, so
/// a function whose invocation needs no Stripe call never pays for it.
pub struct Stripe {
    base: String,
    secret_key: String,
    /// `storefront app/<function name>`: Stripe's request log (and the local fault door) says
    /// which function asked.
    user_agent: String,
    client: std::sync::OnceLock<HttpsClient>,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct IntentJson {
    id: String,
    client_secret: Option<String>,
    status: String,
}

#[derive(Deserialize)]
struct RefundJson {
    id: String,
    #[serde(default)]
    status: String,
}

#[derive(Deserialize)]
struct ErrorJson {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    code: Option<String>,
}

impl Stripe {
    /// The client of the API at `base` (`STRIPE_API_BASE`), with the key the secret holds.
    pub async fn load(source: &SecretSource, base: &str) -> Result<Self, SecretError> {
        let secret: KeySecret = source.read_json().await?;
        Self::new(base, secret.secret_key)
            .map_err(|why| SecretError::Invalid(source.arn().to_owned(), why))
    }

    pub fn new(base: &str, secret_key: String) -> Result<Self, &'static str> {
        if !secret_key.starts_with("sk_") && !secret_key.starts_with("rk_") {
            return Err("the Stripe key must be a secret (sk_) or restricted (rk_) key");
        }
        let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            secret_key,
            user_agent: format!("storefront app/{function}"),
            client: std::sync::OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&HttpsClient, ApiError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| ApiError::internal(StripeError(format!("no TLS roots: {e}"))))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(self
            .client
            .get_or_init(|| Client::builder(TokioExecutor::new()).build(https)))
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<T, ApiError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = http::Request::post(format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {}", self.secret_key))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("idempotency-key", idempotency_key)
            .header(header::USER_AGENT, &self.user_agent)
            .body(Full::new(Bytes::from(body)))
            .map_err(ApiError::internal)?;
        let call = async {
            let response = self.client()?.request(request).await?;
            let status = response.status();
            let bytes = response.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, bytes))
        };
        let (status, bytes) = match tokio::time::timeout(TIMEOUT, call).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(err)) => return Err(ApiError::unavailable(StripeError(err.to_string()))),
            Err(_) => return Err(ApiError::unavailable(StripeError("timed out".to_owned()))),
        };
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(ApiError::internal);
        }
        let error = serde_json::from_slice::<ErrorJson>(&bytes).ok();
        Err(refusal(path, status, error.map(|e| e.error)))
    }
}

/// What went wrong with a call to Stripe, for the log.
#[derive(Debug, thiserror::Error)]
#[error("Stripe: {0}")]
struct StripeError(String);

/// What an answer other than 2xx means to our client. Stripe down, or asking us to slow down:
/// `503`, try again. An amount it will not charge: `422 amount_too_small` (the checkout checks
/// the minimum first; this is Stripe's word on it). Any other 4xx is a request of ours that
/// Stripe refuses and that a retry will not change: `502`, the cause logged.
fn refusal(path: &str, status: http::StatusCode, error: Option<ErrorBody>) -> ApiError {
    let code = error
        .as_ref()
        .and_then(|e| e.code.clone())
        .unwrap_or_default();
    let kind = error.map(|e| e.kind).unwrap_or_default();
    let err = StripeError(format!("{path} answered {status}: {kind} {code}"));
    if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
        ApiError::unavailable(err)
    } else if code == "amount_too_small" {
        ApiError::Conflict {
            code: crate::error::ErrorCode::AmountTooSmall,
            detail: "The order's total is less than the payment provider can charge.".to_owned(),
        }
    } else {
        ApiError::PaymentProvider(Box::new(err))
    }
}

impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    async fn create_intent(
        &self,
        order_id: &str,
        amount_cents: i64,
        currency: &str,
    ) -> Result<Intent, ApiError> {
        let amount = amount_cents.to_string();
        let currency = currency.to_ascii_lowercase();
        let intent: IntentJson = self
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", &amount),
                    ("currency", &currency),
                    ("metadata[order_id]", order_id),
                    ("payment_method_types[]", "card"),
                ],
                order_id,
            )
            .await?;
        Ok(Intent {
            id: intent.id,
            client_secret: intent.client_secret.unwrap_or_default(),
            status: intent.status,
        })
    }

    async fn cancel_intent(&self, intent_id: &str) -> Result<(), ApiError> {
        let path = format!("/v1/payment_intents/{intent_id}/cancel");
        let _: IntentJson = self
            .post(&path, &[], &format!("cancel-{intent_id}"))
            .await?;
        Ok(())
    }

    async fn refund(&self, request: &RefundRequest<'_>) -> Result<ProviderRefund, ApiError> {
        let amount = request.amount_cents.to_string();
        let refund: RefundJson = self
            .post(
                "/v1/refunds",
                &[
                    ("payment_intent", request.intent_id),
                    ("amount", &amount),
                    ("metadata[order_id]", request.order_id),
                    ("metadata[refund_id]", request.refund_id),
                ],
                &format!("refund-{}", request.refund_id),
            )
            .await?;
        Ok(ProviderRefund {
            id: refund.id,
            status: refund.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use http::StatusCode;

    fn body(kind: &str, code: Option<&str>) -> Option<ErrorBody> {
        Some(ErrorBody {
            kind: kind.to_owned(),
            code: code.map(str::to_owned),
        })
    }

    #[test]
    fn no_answer_of_stripe_is_a_500() {
        let cases = [
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                ErrorCode::ServiceUnavailable,
            ),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                ErrorCode::ServiceUnavailable,
            ),
            (
                StatusCode::TOO_MANY_REQUESTS,
                body("rate_limit_error", None),
                ErrorCode::ServiceUnavailable,
            ),
            (
                StatusCode::BAD_REQUEST,
                body("invalid_request_error", Some("amount_too_small")),
                ErrorCode::AmountTooSmall,
            ),
            (
                StatusCode::BAD_REQUEST,
                body("invalid_request_error", Some("parameter_invalid_integer")),
                ErrorCode::PaymentProviderError,
            ),
            (
                StatusCode::UNAUTHORIZED,
                body("invalid_request_error", None),
                ErrorCode::PaymentProviderError,
            ),
            (StatusCode::NOT_FOUND, None, ErrorCode::PaymentProviderError),
        ];
        for (status, error, expected) in cases {
            let err = refusal("/v1/payment_intents", status, error);
            assert_eq!(err.code(), expected, "{status}");
            assert_ne!(err.status(), 500, "{status}");
        }
        assert_eq!(
            refusal("/v1/refunds", StatusCode::BAD_REQUEST, None).status(),
            502
        );
    }
}
