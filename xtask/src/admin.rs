//! The first admin: `cargo xtask admin` creates an admin account, or, when told so explicitly,
//! promotes an existing one, directly in the table (of a deployed stack, or of the local one);
//! `cargo xtask dev` seeds one. The password is read from `ADMIN_PASSWORD`, never from the
//! command line, where other users of the machine could read it.

use anyhow::{Context as _, Result};
use shared::accounts::{Accounts, AdminEnsured};
use shared::db::Table;

use crate::logs::emit;

/// The local admin `cargo xtask dev` seeds when `ADMIN_EMAIL` / `ADMIN_PASSWORD` are not set.
pub const DEFAULT_EMAIL: &str = "admin@storefront.local";
pub const DEFAULT_PASSWORD: &str = "storefront-admin";

/// Creates the admin in `table`, or with `promote_existing` makes an existing account one.
pub async fn ensure_admin(
    client: aws_sdk_dynamodb::Client,
    table: &str,
    email: &str,
    password: &str,
    name: &str,
    promote_existing: bool,
) -> Result<AdminEnsured> {
    let config = shared::Config::from_env()?;
    let accounts = Accounts::new(Table::new(client, table), &config);
    accounts
        .ensure_admin(
            email,
            password,
            name,
            promote_existing,
            shared::clock::now(),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {}", e.detail()))
}

/// What happened, in a sentence.
pub fn describe(outcome: &AdminEnsured) -> String {
    match outcome {
        AdminEnsured::Created(user) => {
            format!("{} created as an admin (user id {})", user.email, user.id)
        }
        AdminEnsured::Promoted(user) => format!(
            "{} (user id {}) promoted to admin; its password was left as it was (ADMIN_PASSWORD not used)",
            user.email, user.id
        ),
        AdminEnsured::AlreadyAdmin(user) => format!(
            "{} (user id {}) is already an admin; its password was left as it was",
            user.email, user.id
        ),
    }
}

/// `cargo xtask admin`'s options.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("where").required(true).args(["table", "local"]))]
pub struct AdminOptions {
    /// The admin's email address.
    #[arg(long)]
    email: String,
    /// The admin's display name.
    #[arg(long, default_value = "Admin")]
    name: String,
    /// Make an existing account with this email an admin (its password is left as it is).
    #[arg(long)]
    promote_existing: bool,
    /// The deployed stack's table (its `TableName` output).
    #[arg(long)]
    table: Option<String>,
    /// The table of `cargo xtask dev` (DynamoDB Local on port 8000).
    #[arg(long)]
    local: bool,
}

/// The table a command works on: a deployed stack's (`--table`, with the AWS credentials of
/// the environment), or `cargo xtask dev`'s (`--local`).
pub async fn table_of(
    table: Option<String>,
    local: bool,
) -> Result<(aws_sdk_dynamodb::Client, String)> {
    if local {
        let sdk = shared::aws::local_config("http://127.0.0.1:8000").await;
        Ok((
            aws_sdk_dynamodb::Client::new(&sdk),
            table.unwrap_or_else(|| "storefront-dev".to_owned()),
        ))
    } else {
        let table = table.context("--table or --local is required")?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Ok((aws_sdk_dynamodb::Client::new(&config), table))
    }
}

/// `cargo xtask migrate`'s options.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("where").required(true).args(["table", "local"]))]
pub struct MigrateOptions {
    /// The deployed stack's table (its `TableName` output).
    #[arg(long)]
    table: Option<String>,
    /// The table of `cargo xtask dev` (DynamoDB Local on port 8000).
    #[arg(long)]
    local: bool,
}

/// Gives every product stored before variants its default variant and puts every account
/// registered before the customer search in its index (idempotent: run it after a deploy
/// that brings either, and again whenever in doubt).
pub async fn migrate(options: MigrateOptions) -> Result<()> {
    let (client, table) = table_of(options.table, options.local).await?;
    let done =
        shared::catalog::migrate::run(&Table::new(client.clone(), &table), shared::clock::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}: {}", e.detail()))?;
    emit(&format!(
        "· {} products given their default variant, {} had variants already",
        done.migrated, done.already
    ));
    let accounts = shared::accounts::migrate::run(&Table::new(client, &table))
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {}", e.detail()))?;
    emit(&format!(
        "· {} accounts put in the customer search",
        accounts.indexed
    ));
    Ok(())
}

pub async fn command(options: AdminOptions) -> Result<()> {
    let AdminOptions {
        email,
        name,
        promote_existing,
        table,
        local,
    } = options;
    let password = std::env::var("ADMIN_PASSWORD").unwrap_or_default();
    let (client, table) = table_of(table, local).await?;
    let outcome = ensure_admin(client, &table, &email, &password, &name, promote_existing)
        .await
        .with_context(|| {
            if promote_existing {
                String::new()
            } else {
                "an existing account is promoted only with --promote-existing".to_owned()
            }
        })?;
    emit(&format!("· {}", describe(&outcome)));
    Ok(())
}
