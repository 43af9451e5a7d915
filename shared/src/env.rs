//! What a function is built from at cold start, and how: its configuration, the AWS SDK's, and
//! its secrets ([`Env`]); and [`FromEnv`], which every capability (a service, a client, a key
//! set) implements to be built from them.
//!
//! A function declares what it holds as one struct of named capabilities with [`state!`]
//! (`crate::state!`), and its `main` builds that struct once with [`crate::start`]: a missing
//! variable or an unreadable secret stops the cold start there, named, rather than failing
//! later on a request. Handler tests build the same struct from [`Env::offline`], whose AWS
//! clients reach nothing and whose secrets are given, so the code under test is the code that
//! deploys.

use std::collections::BTreeMap;
use std::future::Future;

use aws_config::SdkConfig;
use tokio::sync::OnceCell;

use crate::config::{Config, ConfigError};
use crate::db::Table;
use crate::secrets::SecretError;

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

/// A capability that a function builds once, at cold start.
pub trait FromEnv: Sized {
    fn from_env(env: &Env) -> impl Future<Output = Result<Self, StartError>>;
}

/// What nothing needs: the state of a function that holds no capability.
impl FromEnv for () {
    async fn from_env(_env: &Env) -> Result<Self, StartError> {
        Ok(())
    }
}

/// The configuration, the SDK's configuration and the table client, each made on first need
/// (a function that calls no AWS service loads no SDK configuration), and where secrets come
/// from.
pub struct Env {
    pub config: Config,
    sdk: OnceCell<SdkConfig>,
    table: OnceCell<Table>,
    /// The app secret's keys, once a capability has read them: every other capability that
    /// needs them shares that one read.
    keys: OnceCell<crate::secrets::Keys>,
    /// Secrets given by value, by ARN; any other is read from Secrets Manager.
    given: BTreeMap<String, String>,
}

impl Env {
    /// The environment Lambda (or the local runner) gives the process.
    pub fn from_process() -> Result<Self, ConfigError> {
        Ok(Self::new(Config::from_env()?))
    }

    fn new(config: Config) -> Self {
        Self {
            config,
            sdk: OnceCell::new(),
            table: OnceCell::new(),
            keys: OnceCell::new(),
            given: BTreeMap::new(),
        }
    }

    /// An environment that reaches no AWS service: `config`, an SDK configuration whose clients
    /// reach nothing (so a capability that calls AWS answers 503, as an unreachable AWS must),
    /// the table on it, and the secrets `given` by ARN.
    pub fn offline(
        config: Config,
        sdk: SdkConfig,
        table: Table,
        given: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        Self {
            sdk: OnceCell::new_with(Some(sdk)),
            table: OnceCell::new_with(Some(table)),
            given: given.into_iter().collect(),
            ..Self::new(config)
        }
    }

    /// The SDK's configuration, loaded on first use.
    pub async fn sdk(&self) -> &SdkConfig {
        self.sdk.get_or_init(crate::aws::sdk_config).await
    }

    /// The table `TABLE_NAME` names; one client for every capability that uses it.
    pub async fn table(&self) -> Result<Table, ConfigError> {
        let sdk = self.sdk().await;
        self.table
            .get_or_try_init(|| async { Table::from_config(sdk, &self.config) })
            .await
            .cloned()
    }

    /// The app secret's keys (`APP_SECRET_ARN`), read on first need and then shared.
    pub async fn keys(&self) -> Result<&crate::secrets::Keys, StartError> {
        self.keys
            .get_or_try_init(|| async {
                let source = self
                    .secret(&self.config.app_secret_arn, "APP_SECRET_ARN")
                    .await?;
                let text = source.read().await?;
                Ok::<_, StartError>(crate::secrets::Keys::parse(
                    source.arn(),
                    &text,
                    self.config.tokens.clone(),
                )?)
            })
            .await
    }

    /// The app secret's keys if a capability built before has read them.
    pub fn keys_read(&self) -> Option<&crate::secrets::Keys> {
        self.keys.get()
    }

    /// Where the secret that the variable `name` holds the ARN of is read, not yet read.
    pub async fn secret(
        &self,
        arn: &Option<String>,
        name: &'static str,
    ) -> Result<SecretSource, ConfigError> {
        let arn = self.config.required(arn, name)?;
        Ok(match self.given.get(&arn) {
            Some(text) => SecretSource::Given {
                arn,
                text: text.clone(),
            },
            None => SecretSource::Manager {
                client: aws_sdk_secretsmanager::Client::new(self.sdk().await),
                arn,
            },
        })
    }
}

/// Where one secret is read: Secrets Manager, or a value given to [`Env::offline`].
#[derive(Debug, Clone)]
pub enum SecretSource {
    Manager {
        client: aws_sdk_secretsmanager::Client,
        arn: String,
    },
    Given {
        arn: String,
        text: String,
    },
}

impl SecretSource {
    /// The secret's ARN, which errors name (never its value).
    pub fn arn(&self) -> &str {
        match self {
            Self::Manager { arn, .. } | Self::Given { arn, .. } => arn,
        }
    }

    /// Whether reading again could give another value (a rotation).
    pub fn can_change(&self) -> bool {
        matches!(self, Self::Manager { .. })
    }

    /// The secret's text.
    pub async fn read(&self) -> Result<String, SecretError> {
        match self {
            Self::Manager { client, arn } => crate::secrets::read_string(client, arn).await,
            Self::Given { text, .. } => Ok(text.clone()),
        }
    }

    /// The secret's JSON, as `T`.
    pub async fn read_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, SecretError> {
        serde_json::from_str(&self.read().await?)
            .map_err(|_| SecretError::Invalid(self.arn().to_owned(), "not the expected JSON"))
    }
}

/// Declares a function's state: a struct of named capabilities, each built with
/// [`FromEnv`] in the order written.
///
/// ```ignore
/// shared::state! {
///     /// What a checkout holds.
///     pub struct State {
///         orders: Orders,
///         stripe: Stripe,
///     }
/// }
/// ```
#[macro_export]
macro_rules! state {
    ($(#[$meta:meta])* $vis:vis struct $name:ident { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        $vis struct $name {
            $($field: $ty,)*
        }

        impl $crate::env::FromEnv for $name {
            async fn from_env(
                env: &$crate::env::Env,
            ) -> ::std::result::Result<Self, $crate::env::StartError> {
                Ok(Self {
                    $($field: <$ty as $crate::env::FromEnv>::from_env(env).await?,)*
                })
            }
        }
    };
}

// What each capability is built from. The services hold the table's client and their settings;
// the key sets and the Stripe client read their secrets here, at cold start (`LazyKeys` and the
// webhook's secrets keep where to read them again).

use crate::accounts::Accounts;
use crate::catalog::images::{ImageCodec, ImagePipeline};
use crate::catalog::{Catalog, Uploads};
use crate::contact::Contact;
use crate::http::idempotency::{IdempotencyKey, Idempotent};
use crate::mail::{MailQueue, Mailer};
use crate::orders::emails::OrderMail;
use crate::orders::service::Orders;
use crate::payments::stripe::Stripe;
use crate::payments::webhook::WebhookSecrets;
use crate::reports::Reports;
use crate::secrets::{Keys, LazyKeys};
use crate::shop::Shop;

impl FromEnv for Accounts {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::new(env.table().await?, &env.config))
    }
}

impl FromEnv for crate::audit::AuditLog {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::new(env.table().await?))
    }
}

impl FromEnv for Orders {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::new(env.table().await?, &env.config))
    }
}

impl FromEnv for crate::discounts::Discounts {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::new(env.table().await?))
    }
}

impl FromEnv for Shop {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::new(env.table().await?, &env.config))
    }
}

impl FromEnv for Catalog {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::new(env.table().await?, &env.config)?)
    }
}

impl FromEnv for Contact {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        env.table().await.map(Self::new).map_err(Into::into)
    }
}

impl FromEnv for OrderMail {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let table = env.table().await?;
        let keys = LazyKeys::from_env(env).await?;
        Ok(Self::new(table, env.config.order_status_url.clone(), keys))
    }
}

impl FromEnv for Idempotent {
    /// With the keys if a capability before it read them; else they are read on the first
    /// request that carries an Idempotency-Key.
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let table = env.table().await?;
        let key = match env.keys_read() {
            Some(keys) => IdempotencyKey::Ready(*keys.idempotency_key()),
            None => IdempotencyKey::lazy(LazyKeys::from_env(env).await?),
        };
        Ok(Self::new(table, key))
    }
}

impl FromEnv for Reports {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let table = env.table().await?;
        Ok(Self::from_config(env.sdk().await, &env.config, table)?)
    }
}

impl<C: ImageCodec + Default> FromEnv for ImagePipeline<C> {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let table = env.table().await?;
        Ok(Self::new(
            env.sdk().await,
            &env.config,
            table,
            C::default(),
        )?)
    }
}

impl FromEnv for Uploads {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::from_config(env.sdk().await, &env.config)?)
    }
}

impl FromEnv for MailQueue {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::from_config(env.sdk().await, &env.config)?)
    }
}

impl FromEnv for Mailer {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        Ok(Self::from_config(env.sdk().await, &env.config)?)
    }
}

impl FromEnv for Keys {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        env.keys().await.cloned()
    }
}

impl FromEnv for LazyKeys {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let config = &env.config;
        let source = env.secret(&config.app_secret_arn, "APP_SECRET_ARN").await?;
        Ok(Self::new(source, config.tokens.clone()))
    }
}

impl FromEnv for Stripe {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let config = &env.config;
        let arn = &config.stripe_key_secret_arn;
        let source = env.secret(arn, "STRIPE_KEY_SECRET_ARN").await?;
        Ok(Self::load(&source, &config.stripe_api_base).await?)
    }
}

impl FromEnv for WebhookSecrets {
    async fn from_env(env: &Env) -> Result<Self, StartError> {
        let arn = &env.config.stripe_webhook_secret_arn;
        let source = env.secret(arn, "STRIPE_WEBHOOK_SECRET_ARN").await?;
        Ok(Self::load(source).await?)
    }
}
