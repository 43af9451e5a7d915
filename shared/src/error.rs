//! The one error type of the API and its mapping to RFC 9457 problem details.
//!
//! Every failure a handler can meet becomes an [`ApiError`]. Client errors (4xx) carry a message
//! meant for the caller; server errors (5xx) carry their cause for the log only: the response
//! body of a 5xx never holds more than its stable `code` and a generic sentence.

use std::error::Error as StdError;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use serde::Serialize;

/// A boxed cause, kept for the log line of a 5xx.
pub type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// The stable machine codes of `API.md`. Clients switch on these, so they never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    ValidationFailed,
    MalformedJson,
    InvalidCursor,
    IdempotencyKeyRequired,
    Unauthorized,
    InvalidCredentials,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    EmailTaken,
    SkuTaken,
    OutOfStock,
    InvalidTransition,
    IdempotencyInProgress,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    IdempotencyKeyReused,
    RateLimited,
    AmountTooSmall,
    DiscountInvalid,
    ShippingUnavailable,
    PriceChanged,
    RefundExceedsPayment,
    Internal,
    PaymentProviderError,
    ServiceUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "validation_failed",
            Self::MalformedJson => "malformed_json",
            Self::InvalidCursor => "invalid_cursor",
            Self::IdempotencyKeyRequired => "idempotency_key_required",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict => "conflict",
            Self::EmailTaken => "email_taken",
            Self::SkuTaken => "sku_taken",
            Self::OutOfStock => "out_of_stock",
            Self::InvalidTransition => "invalid_transition",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::PreconditionFailed => "precondition_failed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::RateLimited => "rate_limited",
            Self::AmountTooSmall => "amount_too_small",
            Self::DiscountInvalid => "discount_invalid",
            Self::ShippingUnavailable => "shipping_unavailable",
            Self::PriceChanged => "price_changed",
            Self::RefundExceedsPayment => "refund_exceeds_payment",
            Self::PaymentProviderError => "payment_provider_error",
            Self::Internal => "internal",
            Self::ServiceUnavailable => "service_unavailable",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Self::ValidationFailed
            | Self::MalformedJson
            | Self::InvalidCursor
            | Self::IdempotencyKeyRequired => 400,
            Self::Unauthorized | Self::InvalidCredentials => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict
            | Self::EmailTaken
            | Self::SkuTaken
            | Self::OutOfStock
            | Self::InvalidTransition
            | Self::IdempotencyInProgress
            | Self::PriceChanged
            | Self::RefundExceedsPayment => 409,
            Self::PreconditionFailed => 412,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::IdempotencyKeyReused
            | Self::AmountTooSmall
            | Self::DiscountInvalid
            | Self::ShippingUnavailable => 422,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::PaymentProviderError => 502,
            Self::ServiceUnavailable => 503,
        }
    }

    /// The short human title of the problem type (RFC 9457 `title`).
    pub fn title(self) -> &'static str {
        match self {
            Self::ValidationFailed => "Validation failed",
            Self::MalformedJson => "Malformed JSON",
            Self::InvalidCursor => "Invalid cursor",
            Self::IdempotencyKeyRequired => "Idempotency key required",
            Self::Unauthorized => "Unauthorized",
            Self::InvalidCredentials => "Invalid credentials",
            Self::Forbidden => "Forbidden",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict => "Conflict",
            Self::EmailTaken => "Email taken",
            Self::SkuTaken => "SKU taken",
            Self::OutOfStock => "Out of stock",
            Self::InvalidTransition => "Invalid transition",
            Self::IdempotencyInProgress => "Request in progress",
            Self::PreconditionFailed => "Precondition failed",
            Self::PayloadTooLarge => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::RateLimited => "Rate limited",
            Self::AmountTooSmall => "Amount too small",
            Self::DiscountInvalid => "Discount code cannot apply",
            Self::ShippingUnavailable => "Shipping unavailable",
            Self::PriceChanged => "Price changed",
            Self::RefundExceedsPayment => "Refund exceeds payment",
            Self::PaymentProviderError => "Payment provider error",
            Self::Internal => "Internal error",
            Self::ServiceUnavailable => "Service unavailable",
        }
    }
}

/// One field that failed validation: `field` is a JSON path such as `items[2].quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// `message` for each field whose flag is set (`("sku", sku.is_none())`), in order.
    pub fn each(fields: &[(&str, bool)], message: &str) -> Vec<Self> {
        fields
            .iter()
            .filter(|(_, flagged)| *flagged)
            .map(|(field, _)| Self::new(*field, message))
            .collect()
    }
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Well-formed, but naming what cannot be used (an unknown or inactive product): 422.
    #[error("unprocessable")]
    Unprocessable(Vec<FieldError>),
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("idempotency key required")]
    IdempotencyKeyRequired,
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    #[error("idempotent request in progress")]
    IdempotencyInProgress { retry_after: Duration },
    /// Not enough stock: one entry per short line (`items[i].product_id`).
    #[error("out of stock")]
    OutOfStock(Vec<FieldError>),
    #[error("unauthorized")]
    Unauthorized,
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<&'static str> },
    /// A 409 with a specific code (`email_taken`, `out_of_stock`, ...) and a message for the user.
    #[error("conflict ({}): {detail}", code.as_str())]
    Conflict { code: ErrorCode, detail: String },
    /// The order would cost other than the client expected (`expected_total_cents`): the
    /// problem carries the new quote.
    #[error("price changed")]
    PriceChanged { quote: Box<serde_json::Value> },
    #[error("precondition failed")]
    PreconditionFailed,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
    /// An AWS service (or a stand-in) failed or could not be reached: the client may retry.
    #[error("service unavailable")]
    ServiceUnavailable(#[source] Cause),
    /// The payment provider refused a request of ours that no retry will change (a Stripe
    /// 4xx): the cause goes to the log, and the client learns only that the provider said no.
    #[error("payment provider refused")]
    PaymentProvider(#[source] Cause),
    /// A bug or an impossible state: the cause goes to the log, never to the client.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// `Ok` when nothing was found wrong; else `400 validation_failed` naming every field.
    pub fn unless_invalid(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Validation(errors))
        }
    }

    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn unavailable(cause: impl Into<Cause>) -> Self {
        Self::ServiceUnavailable(cause.into())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) | Self::Unprocessable(_) => ErrorCode::ValidationFailed,
            Self::MalformedJson(_) => ErrorCode::MalformedJson,
            Self::InvalidCursor => ErrorCode::InvalidCursor,
            Self::IdempotencyKeyRequired => ErrorCode::IdempotencyKeyRequired,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::IdempotencyInProgress { .. } => ErrorCode::IdempotencyInProgress,
            Self::OutOfStock(_) => ErrorCode::OutOfStock,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::Conflict { code, .. } => *code,
            Self::PreconditionFailed => ErrorCode::PreconditionFailed,
            Self::PriceChanged { .. } => ErrorCode::PriceChanged,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::ServiceUnavailable(_) => ErrorCode::ServiceUnavailable,
            Self::PaymentProvider(_) => ErrorCode::PaymentProviderError,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Unprocessable(_) => 422,
            _ => self.code().status(),
        }
    }

    /// The sentence shown to the client. Server errors say nothing about their cause.
    pub fn detail(&self) -> String {
        match self {
            Self::Validation(errors) if errors.len() == 1 => {
                format!("The request is not valid: {}.", errors[0].field)
            }
            Self::Validation(_) => "The request has fields that are not valid.".to_owned(),
            Self::Unprocessable(_) => "The request names something that cannot be used.".to_owned(),
            Self::MalformedJson(reason) => format!("The body is not valid JSON: {reason}."),
            Self::InvalidCursor => {
                "The cursor is not one this API issued for this listing.".to_owned()
            }
            Self::IdempotencyKeyRequired => {
                "This request needs an Idempotency-Key header (1-255 printable ASCII characters)."
                    .to_owned()
            }
            Self::IdempotencyKeyReused => {
                "This Idempotency-Key was used for a different request.".to_owned()
            }
            Self::IdempotencyInProgress { .. } => {
                "A request with this Idempotency-Key is still running; retry later.".to_owned()
            }
            Self::OutOfStock(short) => format!(
                "Not enough stock for {}.",
                short
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Self::Unauthorized => "A valid bearer token is required.".to_owned(),
            Self::InvalidCredentials => "The email or the password is wrong.".to_owned(),
            Self::Forbidden => "You are not allowed to do this.".to_owned(),
            Self::NotFound => "There is nothing here.".to_owned(),
            Self::MethodNotAllowed { allow } => {
                format!("This resource allows {}.", allow.join(", "))
            }
            Self::Conflict { detail, .. } => detail.clone(),
            Self::PreconditionFailed => {
                "The resource has changed since you read it (If-Match).".to_owned()
            }
            Self::PriceChanged { .. } => {
                "The order's total is not the one expected; the new quote is attached.".to_owned()
            }
            Self::PayloadTooLarge { limit } => {
                format!("The body is larger than {limit} bytes.")
            }
            Self::UnsupportedMediaType => "The body must be sent as application/json.".to_owned(),
            Self::RateLimited { .. } => "Too many requests; retry later.".to_owned(),
            Self::ServiceUnavailable(_) => {
                "The service is briefly unavailable; retry later.".to_owned()
            }
            Self::PaymentProvider(_) => {
                "The payment provider refused this request; the shop has been told.".to_owned()
            }
            Self::Internal(_) => "Something went wrong on our side.".to_owned(),
        }
    }

    /// The problem details body (RFC 9457).
    pub fn problem(&self) -> Problem {
        let code = self.code();
        Problem {
            r#type: format!("urn:storefront:problem:{}", code.as_str()),
            title: code.title(),
            status: self.status(),
            detail: self.detail(),
            code,
            errors: match self {
                Self::Validation(errors)
                | Self::Unprocessable(errors)
                | Self::OutOfStock(errors) => Some(errors.clone()),
                _ => None,
            },
            quote: match self {
                Self::PriceChanged { quote } => Some(quote.clone()),
                _ => None,
            },
        }
    }

    /// Headers the error adds to its response (`Retry-After`, `Allow`).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::RateLimited { retry_after } | Self::IdempotencyInProgress { retry_after } => {
                vec![("retry-after", retry_after.as_secs().max(1).to_string())]
            }
            Self::ServiceUnavailable(_) => vec![("retry-after", "1".to_owned())],
            Self::MethodNotAllowed { allow } => vec![("allow", allow.join(", "))],
            Self::Unauthorized => vec![("www-authenticate", "Bearer".to_owned())],
            _ => Vec::new(),
        }
    }
}

/// An RFC 9457 problem details document, as sent with `application/problem+json`.
#[derive(Debug, Serialize)]
pub struct Problem {
    pub r#type: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: ErrorCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// `price_changed`: what the order costs now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<Box<serde_json::Value>>,
}

/// An AWS SDK failure, by its kind: what a retry may cure (throttling, a timeout, a connection
/// that failed, a 5xx of the service) is `503` with `Retry-After`; anything else is a request the
/// service refused, which no retry cures: a bug, `500`, logged with its cause. Callers that expect
/// a specific service error (a failed condition, say) match it with `as_service_error()` first.
impl<E> From<SdkError<E, HttpResponse>> for ApiError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    fn from(err: SdkError<E, HttpResponse>) -> Self {
        if is_transient(&err) {
            Self::ServiceUnavailable(Box::new(err))
        } else {
            Self::Internal(Box::new(err))
        }
    }
}

/// Error codes of AWS services that mean "slow down" or "try again".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "SlowDown",
    "TransactionInProgressException",
    "InternalServerError",
    "InternalFailure",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
];

/// Whether a retry of the same call may succeed.
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    }
}

/// Writes an error and its whole chain of causes on one line, for the log.
pub fn cause_chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_do_not_show_their_cause() {
        let err = ApiError::internal("table storefront-prod is missing");
        let body = serde_json::to_string(&err.problem()).unwrap_or_default();
        assert!(!body.contains("storefront-prod"), "{body}");
        assert!(body.contains(r#""code":"internal""#), "{body}");
        assert!(body.contains(r#""status":500"#), "{body}");
    }

    #[test]
    fn validation_errors_list_their_fields() {
        let err = ApiError::Validation(vec![
            FieldError::new("name", "must not be empty"),
            FieldError::new("price_cents", "must be at most 100000000"),
        ]);
        let body = serde_json::to_value(err.problem()).unwrap_or_default();
        assert_eq!(body["code"], "validation_failed");
        assert_eq!(body["status"], 400);
        assert_eq!(body["errors"][1]["field"], "price_cents");
        assert_eq!(body["type"], "urn:storefront:problem:validation_failed");
    }

    #[test]
    fn rate_limited_says_when_to_retry() {
        let err = ApiError::RateLimited {
            retry_after: Duration::from_secs(90),
        };
        assert_eq!(err.status(), 429);
        assert_eq!(err.headers(), vec![("retry-after", "90".to_owned())]);
    }

    #[test]
    fn every_code_has_the_status_the_contract_gives_it() {
        let pairs = [
            (ErrorCode::ValidationFailed, 400),
            (ErrorCode::InvalidCursor, 400),
            (ErrorCode::InvalidCredentials, 401),
            (ErrorCode::EmailTaken, 409),
            (ErrorCode::PayloadTooLarge, 413),
            (ErrorCode::UnsupportedMediaType, 415),
            (ErrorCode::ServiceUnavailable, 503),
            (ErrorCode::IdempotencyKeyRequired, 400),
            (ErrorCode::OutOfStock, 409),
            (ErrorCode::InvalidTransition, 409),
            (ErrorCode::IdempotencyInProgress, 409),
            (ErrorCode::IdempotencyKeyReused, 422),
        ];
        for (code, status) in pairs {
            assert_eq!(code.status(), status, "{}", code.as_str());
            let serialized = serde_json::to_value(code).unwrap_or_default();
            assert_eq!(serialized, code.as_str());
        }
    }

    #[test]
    fn an_unknown_product_is_a_422_that_names_its_field() {
        let err = ApiError::Unprocessable(vec![FieldError::new(
            "items[1].product_id",
            "no such product for sale",
        )]);
        let problem = serde_json::to_value(err.problem()).unwrap_or_default();
        assert_eq!(problem["status"], 422);
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "items[1].product_id");
    }

    #[test]
    fn a_cause_chain_is_written_whole() {
        let io = std::io::Error::other("connection refused");
        let err = ApiError::unavailable(io);
        assert_eq!(cause_chain(&err), "service unavailable: connection refused");
    }
}
