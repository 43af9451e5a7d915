//! `cargo xtask <command>`: the project's developer commands.
//!
//! - `dev`   — the whole API on 127.0.0.1:3000 (Invoke API on :3001), on local stand-ins.
//! - `test`  — everything CI runs: format, lints, unit tests, template checks, black-box tests.
//! - `bench` — every function beside a null one: init, latency, CPU, instructions, memory, zip.
//! - `load`  — a minute of mixed traffic through the local API, with oha.
//! - `admin` — creates or promotes an admin account.
//! - `setup` — installs the project-local tools only (also done by `dev` and `test` on demand).

mod admin;
mod local;
mod logs;
mod perf;
mod tools;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};

use crate::local::stack::{Stack, StackOptions, build_functions};
use crate::local::standins::{StandInOptions, StandIns};
use crate::local::template::NameOptions;
use crate::logs::{Logs, emit};
use crate::tools::Tools;

/// `cargo xtask <command>`: the project's developer commands.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole API locally: http://127.0.0.1:3000 (Invoke API on :3001).
    ///
    /// The admin it seeds comes from ADMIN_EMAIL / ADMIN_PASSWORD (default
    /// admin@storefront.local / storefront-admin).
    Dev(DevOptions),
    /// Run every check CI runs: fmt, clippy, cargo-deny, unit tests, template checks, black-box
    /// tests.
    Test,
    /// Measure every function of the template beside a null lambda_http function, on one
    /// release build: init, warm latency, CPU, instructions, peak memory, zip.
    Bench(perf::bench::BenchOptions),
    /// A bounded load run through the local API on release builds: product pages, catalogue
    /// pages, logins and checkouts at fixed rates; fails on any error.
    Load(perf::load::LoadOptions),
    /// Create or promote an admin; the password comes from ADMIN_PASSWORD.
    Admin(admin::AdminOptions),
    /// Give every product stored before variants its default variant, and put every account
    /// in the customer search (idempotent; run once after the deploy that brings them).
    Migrate(admin::MigrateOptions),
    /// Pay an order of `cargo xtask dev` at localstripe with a test card, as the shop's front
    /// end would with Stripe.js; localstripe's signed webhook then marks it paid.
    Pay(PayOptions),
    /// Install the project-local tools into .local/ (dev and test do this when needed).
    Setup,
}

#[derive(Debug, Args)]
struct PayOptions {
    /// The order's id (from POST /orders).
    order_id: String,
    /// Pay with Stripe's always-declined test card instead.
    #[arg(long)]
    declined: bool,
    /// localstripe's port, as `cargo xtask dev --stripe-port` set it.
    #[arg(long, default_value_t = 8420)]
    stripe_port: u16,
    /// DynamoDB Local's port, as `cargo xtask dev --dynamodb-port` set it.
    #[arg(long, default_value_t = 8000)]
    dynamodb_port: u16,
}

#[derive(Debug, Args)]
struct DevOptions {
    /// Build the functions optimised.
    #[arg(long)]
    release: bool,
    /// The API's port.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// The Invoke API's port.
    #[arg(long, default_value_t = 3001)]
    invoke_port: u16,
    /// DynamoDB Local's port.
    #[arg(long, default_value_t = 8000)]
    dynamodb_port: u16,
    /// moto server's port.
    #[arg(long, default_value_t = 5000)]
    moto_port: u16,
    /// localstripe's port.
    #[arg(long, default_value_t = 8420)]
    stripe_port: u16,
    /// Variable overrides, in sam local's --env-vars format.
    #[arg(long, value_name = "FILE")]
    env_vars: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            emit(&format!("error: cannot start the async runtime: {err}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            emit(&format!("error: {err:#}"));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> Result<()> {
    let root = project_root();
    match command {
        Command::Dev(options) => dev(&root, options).await,
        Command::Test => verify::testrun::test(&root).await,
        Command::Admin(options) => admin::command(options).await,
        Command::Migrate(options) => admin::migrate(options).await,
        Command::Bench(options) => perf::bench::bench(&root, options).await,
        Command::Load(options) => perf::load::load(&root, options).await,
        Command::Pay(options) => pay(&root, options).await,
        Command::Setup => {
            let tools = Tools::new(&root);
            tools.ensure_stand_ins().await?;
            tools.ensure_sam().await?;
            emit("· tools ready in .local/");
            Ok(())
        }
    }
}

/// The stack name `cargo xtask dev` runs the template as.
const DEV_STACK: &str = "storefront-local";

/// The workspace root: xtask's own folder is one level below it.
fn project_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

async fn dev(root: &Path, options: DevOptions) -> Result<()> {
    let tools = Tools::new(root);
    let stand_in_tools = tools.ensure_stand_ins().await?;
    if let Err(err) = tools.ensure_swagger_ui().await {
        emit(&format!("· no /docs page: {err:#}"));
    }
    let template = root.join("template.yaml");
    build_functions(root, &[&template], options.release, &[]).await?;
    let profile = if options.release { "release" } else { "debug" };
    let binaries = tools::target_dir(root)?.join(profile);

    let stand_ins = StandIns::start(
        &StandInOptions {
            dynamodb_port: options.dynamodb_port,
            moto_port: options.moto_port,
            stripe_port: options.stripe_port,
            data_dir: Some(tools.local.join("data/dynamodb")),
            log_dir: tools.local.join("logs"),
        },
        &stand_in_tools,
    )
    .await?;
    let logs = Logs::new(Some(&tools.local.join("logs/functions.log")), true)?;
    let (stack, stand_ins) = Stack::start_or_stop(
        &StackOptions {
            template,
            names: NameOptions {
                stack_name: DEV_STACK.into(),
                suffix: String::new(),
                parameters: Default::default(),
                queue_endpoint: None,
            },
            api_port: options.port,
            invoke_port: options.invoke_port,
            env_vars: options.env_vars,
            binaries,
            dynamodb_door: None,
        },
        stand_ins,
        &logs,
    )
    .await?;
    if let Err(err) = local::stripe::connect(&stack, &stand_ins).await {
        emit(&format!(
            "· payments will not be confirmed locally: {err:#}"
        ));
    }
    let admin_email = std::env::var("ADMIN_EMAIL").unwrap_or_else(|_| admin::DEFAULT_EMAIL.into());
    let admin_password =
        std::env::var("ADMIN_PASSWORD").unwrap_or_else(|_| admin::DEFAULT_PASSWORD.into());
    if let Some(table) = stack.template.tables.first() {
        let client = local::standins::dynamodb_client(&stand_ins.dynamodb_url).await;
        match admin::ensure_admin(
            client,
            &table.name,
            &admin_email,
            &admin_password,
            "Admin",
            false,
        )
        .await
        {
            Ok(outcome) => emit(&format!(
                "· admin: {} (password from ADMIN_PASSWORD, or the README's default)",
                admin::describe(&outcome)
            )),
            Err(err) => emit(&format!("· no admin seeded: {err:#}")),
        }
    }
    emit(&format!(
        "\nStorefront is running.\n  API          http://{}\n  Invoke API   http://{}  (aws lambda invoke --endpoint-url http://{} --function-name HealthFunction out.json)\n  DynamoDB     {}  (data kept in .local/data)\n  S3/SQS/...   {}\n  Stripe       {}  (pay an order: cargo xtask pay <order id>)\n  logs         .local/logs/\n\n{}\nCtrl-C stops everything.\n",
        stack.api,
        stack.invoke,
        stack.invoke,
        stand_ins.dynamodb_url,
        stand_ins.moto_url,
        stand_ins.stripe_url,
        stack.describe()
    ));
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    emit("· stopping");
    stack.stop();
    stand_ins.stop().await;
    Ok(())
}

/// `cargo xtask pay`: the order's PaymentIntent, read from the local table, confirmed with a
/// test card at localstripe.
async fn pay(root: &Path, options: PayOptions) -> Result<()> {
    let template = local::template::Template::load(
        &root.join("template.yaml"),
        &NameOptions {
            stack_name: DEV_STACK.into(),
            ..NameOptions::default()
        },
    )?;
    let table = template
        .tables
        .first()
        .map(|t| t.name.clone())
        .context("the template has no table")?;
    let client =
        local::standins::dynamodb_client(&format!("http://127.0.0.1:{}", options.dynamodb_port))
            .await;
    let order = client
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            shared::db::string(format!("ORDER#{}", options.order_id)),
        )
        .key("sk", shared::db::string("ORDER"))
        .send()
        .await
        .context("cannot read the order; is `cargo xtask dev` running?")?
        .item
        .with_context(|| format!("there is no order {}", options.order_id))?;
    let intent = order
        .get("payment")
        .and_then(|p| p.as_m().ok())
        .and_then(|p| p.get("payment_intent_id"))
        .and_then(|i| i.as_s().ok())
        .context("the order has no PaymentIntent")?
        .clone();
    let card = if options.declined {
        shared::testing::localstripe::CARD_DECLINED
    } else {
        shared::testing::localstripe::CARD_OK
    };
    let base = format!("http://127.0.0.1:{}", options.stripe_port);
    let status = shared::testing::localstripe::pay(&base, &intent, card)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    emit(&format!(
        "· {intent} is {status}; localstripe sends its webhook in about a second"
    ));
    Ok(())
}
