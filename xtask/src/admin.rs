//! The first admin: `cargo xtask admin` creates an admin account, or, when told so explicitly,
//! promotes an existing one, directly in the table (of a deployed stack, or of the local one);
//! `cargo xtask dev` seeds one. The password is read from `ADMIN_PASSWORD`, never from the
//! command line, where other users of the machine could read it.

use anyhow::{Context as _, Result, bail};
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

/// `cargo xtask admin --email E [--name N] [--promote-existing] (--table T | --local)`.
pub async fn command(args: &[String]) -> Result<()> {
    const USAGE: &str =
        "usage: cargo xtask admin --email E [--name N] [--promote-existing] (--table T | --local)";
    let mut email = None;
    let mut name = "Admin".to_owned();
    let mut table = None;
    let mut local = false;
    let mut promote_existing = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--email" => email = args.next().cloned(),
            "--name" => name = args.next().cloned().context("--name needs a value")?,
            "--table" => table = args.next().cloned(),
            "--local" => local = true,
            "--promote-existing" => promote_existing = true,
            other => bail!("unknown option `{other}`; {USAGE}"),
        }
    }
    let email = email.with_context(|| format!("--email is required; {USAGE}"))?;
    let password = std::env::var("ADMIN_PASSWORD").unwrap_or_default();
    let (client, table) = if local {
        let sdk = shared::aws::local_config("http://127.0.0.1:8000").await;
        (
            aws_sdk_dynamodb::Client::new(&sdk),
            table.unwrap_or_else(|| "storefront-dev".to_owned()),
        )
    } else {
        let table =
            table.context("--table (the stack's TableName output) or --local is required")?;
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        (aws_sdk_dynamodb::Client::new(&config), table)
    };
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
