//! Typed configuration, read once at cold start from the environment the template sets.
//!
//! [`Config`] holds every variable a Storefront function reads, each documented on its field.
//! Optional ones carry their default; the ones only some functions need are `Option`s, and the
//! capability that needs one ([`crate::db::Table::from_config`] needs `TABLE_NAME`, say) stops
//! the cold start with the variable's name when it is missing, rather than failing later on a
//! request.

use std::fmt;

/// A configuration variable that is missing or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Every setting of a Storefront function.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins (`https://shop.example`) allowed to call
    /// the API from a browser, or `*` for any. Empty: no browser origin is allowed.
    pub cors: Cors,
    /// `TABLE_NAME`: the DynamoDB table.
    pub table_name: Option<String>,
    /// `APP_SECRET_ARN`: the Secrets Manager secret with the signing keys.
    pub app_secret_arn: Option<String>,
    /// `JWT_ISSUER` (default `storefront`), `JWT_AUDIENCE` (default `storefront-api`),
    /// `ACCESS_TOKEN_TTL_SECONDS` (default 900).
    pub tokens: TokenSettings,
    /// `MAIL_QUEUE_URL`: the SQS queue of emails to send.
    pub mail_queue_url: Option<String>,
    /// `MAIL_FROM`: the verified SES sender.
    pub mail_from: Option<String>,
    /// `STORE_CURRENCY` (ISO 4217, default `EUR`): the one currency of every price.
    pub currency: String,
    /// `UPLOADS_BUCKET`: where browsers upload images.
    pub uploads_bucket: Option<String>,
    /// `IMAGES_BUCKET`: where processed images are published.
    pub images_bucket: Option<String>,
    /// `REPORTS_BUCKET`: where the daily sales reports are written.
    pub reports_bucket: Option<String>,
    /// `IMAGES_BASE_URL`: where image URLs point (a CDN); empty derives the images bucket's URL.
    pub images_base_url: Option<String>,
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`: a local stand-in, which serves buckets by path.
    pub s3_endpoint: Option<String>,
    /// `AWS_REGION`, set by Lambda.
    pub region: String,
    /// `REFRESH_TOKEN_TTL_SECONDS` (default 30 days): how long a login lasts unused.
    pub refresh_ttl_secs: i64,
    /// `REFRESH_FAMILY_MAX_SECONDS` (default 90 days): how long a login lasts at most, used or not.
    pub refresh_family_max_secs: i64,
    /// `LOGIN_LOCKOUT_WINDOW_SECONDS` (default 900): five failed logins per account per window.
    pub lockout_window_secs: i64,
    /// `PASSWORD_RESET_TTL_SECONDS` (default 1800): how long a reset link works.
    pub reset_ttl_secs: i64,
    /// `PASSWORD_RESET_URL`: the shop's page that takes `?token=`; the emailed link.
    pub reset_url: String,
    /// `ORDER_STATUS_URL`: the shop's page that shows a guest's order from `?order=&token=`;
    /// the confirmation email links to it.
    pub order_status_url: String,
    /// `ORDER_PAYMENT_TIMEOUT_SECONDS` (default 1800): how long an order waits for its payment.
    pub order_payment_timeout_secs: i64,
    /// `MAX_UNPAID_ORDERS` (default 3): how many orders one account may have waiting for their
    /// payment at once. Each holds its stock until it expires; the cap keeps one buyer from
    /// holding the whole inventory.
    pub max_unpaid_orders: i64,
    /// `SETTINGS_CACHE_SECONDS` (default 10): how long a function keeps the shop's settings
    /// (shipping zones, tax rates) it read before it reads them again.
    pub settings_cache_secs: i64,
    /// `STRIPE_API_BASE` (default `https://api.stripe.com`): a local stand-in's URL instead.
    pub stripe_api_base: String,
    /// `STRIPE_KEY_SECRET_ARN`: the secret `{"secret_key": "sk_..."}`.
    pub stripe_key_secret_arn: Option<String>,
    /// `STRIPE_WEBHOOK_SECRET_ARN`: the secret `{"current": "whsec_...", "previous": "whsec_..."}`
    /// (`previous` only while a rotation is under way).
    pub stripe_webhook_secret_arn: Option<String>,
}

/// Who tokens are issued by and for, and how long they last.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    pub ttl_secs: i64,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let text = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let or = |name: &str, default: &str| text(name).unwrap_or_else(|| default.to_owned());
        let whole = |name: &'static str, default: i64| -> Result<i64, ConfigError> {
            match text(name) {
                None => Ok(default),
                Some(value) => value
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=10 * 365 * 86_400).contains(n))
                    .ok_or(ConfigError::Invalid {
                        name,
                        reason: format!("`{value}` is not a whole number above 0"),
                    }),
            }
        };
        let currency = or("STORE_CURRENCY", "EUR");
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ConfigError::Invalid {
                name: "STORE_CURRENCY",
                reason: format!("`{currency}` is not an ISO 4217 code"),
            });
        }
        Ok(Self {
            cors: Cors::parse(&or("CORS_ALLOWED_ORIGINS", "")).map_err(|reason| {
                ConfigError::Invalid {
                    name: "CORS_ALLOWED_ORIGINS",
                    reason,
                }
            })?,
            table_name: text("TABLE_NAME"),
            app_secret_arn: text("APP_SECRET_ARN"),
            tokens: TokenSettings {
                issuer: or("JWT_ISSUER", "storefront"),
                audience: or("JWT_AUDIENCE", "storefront-api"),
                ttl_secs: whole("ACCESS_TOKEN_TTL_SECONDS", 900)?,
            },
            mail_queue_url: text("MAIL_QUEUE_URL"),
            mail_from: text("MAIL_FROM"),
            currency,
            uploads_bucket: text("UPLOADS_BUCKET"),
            images_bucket: text("IMAGES_BUCKET"),
            images_base_url: text("IMAGES_BASE_URL"),
            reports_bucket: text("REPORTS_BUCKET"),
            s3_endpoint: text("AWS_ENDPOINT_URL_S3").or_else(|| text("AWS_ENDPOINT_URL")),
            region: or("AWS_REGION", "us-east-1"),
            refresh_ttl_secs: whole("REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400)?,
            refresh_family_max_secs: whole("REFRESH_FAMILY_MAX_SECONDS", 90 * 86_400)?,
            lockout_window_secs: whole("LOGIN_LOCKOUT_WINDOW_SECONDS", 900)?,
            reset_ttl_secs: whole("PASSWORD_RESET_TTL_SECONDS", 1800)?,
            reset_url: or("PASSWORD_RESET_URL", "http://localhost:5173/reset-password"),
            order_status_url: or("ORDER_STATUS_URL", "http://localhost:5173/order"),
            order_payment_timeout_secs: whole("ORDER_PAYMENT_TIMEOUT_SECONDS", 1800)?,
            max_unpaid_orders: whole("MAX_UNPAID_ORDERS", 3)?,
            settings_cache_secs: whole("SETTINGS_CACHE_SECONDS", 10)?,
            stripe_api_base: or("STRIPE_API_BASE", "https://api.stripe.com"),
            stripe_key_secret_arn: text("STRIPE_KEY_SECRET_ARN"),
            stripe_webhook_secret_arn: text("STRIPE_WEBHOOK_SECRET_ARN"),
        })
    }

    /// The value of a variable some capability needs, or the error naming it.
    pub fn required(
        &self,
        value: &Option<String>,
        name: &'static str,
    ) -> Result<String, ConfigError> {
        value.clone().ok_or(ConfigError::Missing(name))
    }
}

/// Which browser origins may call the API.
#[derive(Clone, PartialEq, Eq)]
pub enum Cors {
    Any,
    Origins(Vec<String>),
}

impl fmt::Debug for Cors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Origins(list) => f.write_str(&list.join(",")),
        }
    }
}

impl Cors {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value == "*" {
            return Ok(Self::Any);
        }
        let mut origins = Vec::new();
        for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
            if !scheme_ok || origin.ends_with('/') {
                return Err(format!(
                    "`{origin}` is not an origin (scheme://host[:port], no path)"
                ));
            }
            origins.push(origin.to_owned());
        }
        Ok(Self::Origins(origins))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    pub fn allow_origin<'a>(&self, origin: Option<&'a str>) -> Option<&'a str> {
        match self {
            Self::Any => Some("*"),
            Self::Origins(list) => origin.filter(|o| list.iter().any(|allowed| allowed == o)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_listed_exactly() {
        let cors = Cors::parse("https://shop.example, http://localhost:5173").unwrap_or(Cors::Any);
        assert_eq!(
            cors.allow_origin(Some("http://localhost:5173")),
            Some("http://localhost:5173")
        );
        assert_eq!(cors.allow_origin(Some("https://evil.example")), None);
        assert_eq!(cors.allow_origin(None), None);
    }

    #[test]
    fn a_star_allows_every_origin() {
        assert_eq!(
            Cors::parse("*").map(|c| c.allow_origin(Some("https://a.b"))),
            Ok(Some("*"))
        );
    }

    #[test]
    fn a_path_is_not_an_origin() {
        let err = Config::from_lookup(|name| {
            (name == "CORS_ALLOWED_ORIGINS").then(|| "https://shop.example/".to_owned())
        });
        assert!(
            matches!(
                err,
                Err(ConfigError::Invalid {
                    name: "CORS_ALLOWED_ORIGINS",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn no_variable_allows_no_origin_and_takes_every_default() {
        let config = Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.cors, Cors::Origins(vec![]));
        assert_eq!(config.currency, "EUR");
        assert_eq!(config.refresh_family_max_secs, 90 * 86_400);
    }

    #[test]
    fn a_missing_required_variable_is_named() {
        let config = Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"));
        let err = config.required(&config.table_name, "TABLE_NAME").err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("environment variable TABLE_NAME is not set")
        );
    }

    #[test]
    fn numbers_out_of_range_are_refused_by_name() {
        for bad in ["-5", "0", "ten", "99999999999999999999"] {
            let err = Config::from_lookup(|name| {
                (name == "ACCESS_TOKEN_TTL_SECONDS").then(|| bad.to_owned())
            });
            assert!(
                matches!(
                    err,
                    Err(ConfigError::Invalid {
                        name: "ACCESS_TOKEN_TTL_SECONDS",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
