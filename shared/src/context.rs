//! What a function builds once at cold start, from its environment: the AWS clients, the table,
//! the signing keys, the mailer. Each function asks only for what it uses, so it needs only the
//! permissions of those.

use crate::accounts::{AccountSettings, Accounts};
use crate::auth::jwt::TokenIssuer;
use crate::catalog::{Catalog, CatalogSettings};
use crate::config::{self, ConfigError, optional_number, optional_string, required};
use crate::db::Table;
use crate::email::Mailer;
use crate::secrets::{Keys, LazySigning, TokenSettings};

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

/// The keys in the secret `APP_SECRET_ARN`.
pub async fn keys(sdk: &aws_config::SdkConfig) -> Result<Keys, StartError> {
    let arn = required("APP_SECRET_ARN")?;
    Ok(Keys::load(&aws_sdk_secretsmanager::Client::new(sdk), &arn).await?)
}

/// `JWT_ISSUER` (default `storefront`), `JWT_AUDIENCE` (default `storefront-api`),
/// `ACCESS_TOKEN_TTL_SECONDS` (default 900).
pub fn token_settings() -> Result<TokenSettings, ConfigError> {
    Ok(TokenSettings {
        issuer: optional_string("JWT_ISSUER", "storefront"),
        audience: optional_string("JWT_AUDIENCE", "storefront-api"),
        ttl_secs: optional_number("ACCESS_TOKEN_TTL_SECONDS", 900)?,
    })
}

/// The token issuer over the keys in `APP_SECRET_ARN`, read now.
pub async fn token_issuer(sdk: &aws_config::SdkConfig) -> Result<TokenIssuer, StartError> {
    Ok(keys(sdk).await?.issuer(&token_settings()?))
}

/// `MAIL_FROM`: the verified SES sender.
pub fn mailer(sdk: &aws_config::SdkConfig) -> Result<Mailer, ConfigError> {
    Ok(Mailer::new(
        aws_sdk_sesv2::Client::new(sdk),
        config::required("MAIL_FROM")?,
    ))
}

/// The catalog: its functions check tokens (admins see more) and sign cursors, with keys read
/// on first use; `with_s3` for the one that presigns uploads.
pub async fn catalog(with_s3: bool) -> Result<Catalog, StartError> {
    let sdk = crate::aws::sdk_config().await;
    Ok(Catalog {
        table: table(&sdk)?,
        settings: CatalogSettings::from_env()?,
        signing: LazySigning::new(
            aws_sdk_secretsmanager::Client::new(&sdk),
            required("APP_SECRET_ARN")?,
            token_settings()?,
        ),
        s3: with_s3.then(|| crate::aws::s3(&sdk)),
    })
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
