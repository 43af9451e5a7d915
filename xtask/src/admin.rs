//! The first admin: `cargo xtask admin` creates an admin account, or promotes an existing one,
//! directly in the table (of a deployed stack, or of the local one); `cargo xtask dev` seeds one.
//! The password is read from `ADMIN_PASSWORD`, never from the command line, where other users
//! of the machine could read it.

use anyhow::{Context as _, Result, bail};
use shared::accounts::{AccountSettings, Accounts};
use shared::db::Table;

use crate::logs::emit;

/// The local admin `cargo xtask dev` seeds when `ADMIN_EMAIL` / `ADMIN_PASSWORD` are not set.
pub const DEFAULT_EMAIL: &str = "admin@storefront.local";
pub const DEFAULT_PASSWORD: &str = "storefront-admin";

/// Creates or promotes the admin in `table`.
pub async fn ensure_admin(
    client: aws_sdk_dynamodb::Client,
    table: &str,
    email: &str,
    password: &str,
    name: &str,
) -> Result<shared::accounts::User> {
    let accounts = Accounts {
        table: Table::new(client, table),
        settings: AccountSettings::from_env()?,
        issuer: None,
        mailer: None,
    };
    accounts
        .ensure_admin(email, password, name, shared::clock::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}: {}", e.detail()))
}

/// `cargo xtask admin --email E [--name N] (--table T | --local)`.
pub async fn command(args: &[String]) -> Result<()> {
    let mut email = None;
    let mut name = "Admin".to_owned();
    let mut table = None;
    let mut local = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--email" => email = args.next().cloned(),
            "--name" => name = args.next().cloned().context("--name needs a value")?,
            "--table" => table = args.next().cloned(),
            "--local" => local = true,
            other => bail!(
                "unknown option `{other}`; usage: cargo xtask admin --email E [--name N] (--table T | --local)"
            ),
        }
    }
    let email = email.context("--email is required")?;
    let password = std::env::var("ADMIN_PASSWORD").unwrap_or_default();
    let (client, table) = if local {
        (
            crate::standins::dynamodb_client("http://127.0.0.1:8000").await,
            table.unwrap_or_else(|| "storefront-dev".to_owned()),
        )
    } else {
        let table =
            table.context("--table (the stack's TableName output) or --local is required")?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        (aws_sdk_dynamodb::Client::new(&config), table)
    };
    let user = ensure_admin(client, &table, &email, &password, &name).await?;
    emit(&format!(
        "· {} is an admin (user id {})",
        user.email, user.id
    ));
    Ok(())
}
