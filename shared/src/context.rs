//! What a function builds once at cold start, from its environment: the AWS clients, the table,
//! the signing keys, the mailer. Each function asks only for what it uses, so it needs only the
//! permissions of those.

use crate::accounts::{AccountSettings, Accounts};
use crate::auth::jwt::TokenIssuer;
use crate::config::{self, ConfigError, optional_number, optional_string, required};
use crate::db::Table;
use crate::email::Mailer;
use crate::secrets::Keys;

pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// What a function needs beyond the table.
#[derive(Debug, Clone, Copy, Default)]
pub struct Needs {
    /// Issues or checks access tokens: reads `APP_SECRET_ARN` from Secrets Manager.
    pub tokens: bool,
    /// Sends email: `MAIL_FROM`, through SES.
    pub mail: bool,
}

/// `TABLE_NAME`: the DynamoDB table.
pub fn table(sdk: &aws_config::SdkConfig) -> Result<Table, ConfigError> {
    Ok(Table::new(
        crate::aws::dynamodb(sdk),
        required("TABLE_NAME")?,
    ))
}

/// The token issuer, from the keys in `APP_SECRET_ARN` and
/// `JWT_ISSUER` (default `storefront`), `JWT_AUDIENCE` (default `storefront-api`),
/// `ACCESS_TOKEN_TTL_SECONDS` (default 900).
pub async fn token_issuer(sdk: &aws_config::SdkConfig) -> Result<TokenIssuer, StartError> {
    let arn = required("APP_SECRET_ARN")?;
    let keys = Keys::load(&aws_sdk_secretsmanager::Client::new(sdk), &arn).await?;
    Ok(TokenIssuer::new(
        keys.current,
        keys.previous,
        optional_string("JWT_ISSUER", "storefront"),
        optional_string("JWT_AUDIENCE", "storefront-api"),
        optional_number("ACCESS_TOKEN_TTL_SECONDS", 900)?,
    ))
}

/// `MAIL_FROM`: the verified SES sender.
pub fn mailer(sdk: &aws_config::SdkConfig) -> Result<Mailer, ConfigError> {
    Ok(Mailer::new(
        aws_sdk_sesv2::Client::new(sdk),
        config::required("MAIL_FROM")?,
    ))
}

/// Accounts with what the function needs.
pub async fn accounts(needs: Needs) -> Result<Accounts, StartError> {
    let sdk = crate::aws::sdk_config().await;
    Ok(Accounts {
        table: table(&sdk)?,
        settings: AccountSettings::from_env()?,
        issuer: if needs.tokens {
            Some(token_issuer(&sdk).await?)
        } else {
            None
        },
        mailer: if needs.mail {
            Some(mailer(&sdk)?)
        } else {
            None
        },
    })
}
