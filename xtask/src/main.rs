//! `cargo xtask <command>`: the project's developer commands.
//!
//! - `dev`   — the whole API on 127.0.0.1:3000 (Invoke API on :3001), on local stand-ins.
//! - `test`  — everything CI runs: format, lints, unit tests, template checks, black-box tests.
//! - `bench` — init, warm latency, CPU, memory and zip size of release builds.
//! - `admin` — creates or promotes an admin account.
//! - `setup` — installs the project-local tools only (also done by `dev` and `test` on demand).

mod admin;
mod api;
mod bench;
mod checks;
mod invoke;
mod lambda;
mod logs;
mod provision;
mod schedule;
mod server;
mod stack;
mod standins;
mod template;
mod testrun;
mod tools;
mod triggers;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use crate::logs::{Logs, emit};
use crate::stack::{Stack, StackOptions, build_functions};
use crate::standins::{StandInOptions, StandIns};
use crate::template::NameOptions;
use crate::tools::Tools;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  dev     run the whole API locally: http://127.0.0.1:3000 (Invoke API on :3001)
            --release            build the functions optimised
            --port N             API port (default 3000)
            --invoke-port N      Invoke API port (default 3001)
            --env-vars FILE      variable overrides, in sam local's --env-vars format
            --dynamodb-port N    DynamoDB Local's port (default 8000)
            --moto-port N        moto server's port (default 5000)
            ADMIN_EMAIL / ADMIN_PASSWORD   the admin it seeds (default admin@storefront.local /
                                           storefront-admin)
  test    run every check CI runs (fmt, clippy, unit tests, template checks, black-box tests)
  bench   measure init, warm latency, CPU, memory and zip size of release builds
            --invocations N (default 2000)  --cold-starts N (default 20)
  admin   create or promote an admin: --email E [--name N] (--table T | --local);
          the password comes from ADMIN_PASSWORD
  setup   install the project-local tools into .local/ (dev and test do this when needed)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
    match runtime.block_on(dispatch(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            emit(&format!("error: {err:#}"));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(args: Vec<String>) -> Result<()> {
    let root = project_root();
    let (command, rest) = args
        .split_first()
        .map_or(("", &[][..]), |(c, r)| (c.as_str(), r));
    match command {
        "dev" => dev(&root, DevOptions::parse(rest)?).await,
        "test" => testrun::test(&root).await,
        "admin" => admin::command(rest).await,
        "bench" => bench::bench(&root, rest).await,
        "setup" => {
            let tools = Tools::new(&root);
            tools.ensure_stand_ins().await?;
            tools.ensure_sam().await?;
            emit("· tools ready in .local/");
            Ok(())
        }
        "" | "help" | "--help" | "-h" => {
            emit(USAGE);
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root: xtask's own folder is one level below it.
fn project_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

struct DevOptions {
    release: bool,
    port: u16,
    invoke_port: u16,
    dynamodb_port: u16,
    moto_port: u16,
    env_vars: Option<PathBuf>,
}

impl DevOptions {
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Self {
            release: false,
            port: 3000,
            invoke_port: 3001,
            dynamodb_port: 8000,
            moto_port: 5000,
            env_vars: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .cloned()
                    .with_context(|| format!("{name} needs a value"))
            };
            let port = |text: String, name: &str| -> Result<u16> {
                text.parse()
                    .with_context(|| format!("{name}: `{text}` is not a port"))
            };
            match arg.as_str() {
                "--release" => options.release = true,
                "--port" => options.port = port(value("--port")?, "--port")?,
                "--invoke-port" => {
                    options.invoke_port = port(value("--invoke-port")?, "--invoke-port")?;
                }
                "--dynamodb-port" => {
                    options.dynamodb_port = port(value("--dynamodb-port")?, "--dynamodb-port")?;
                }
                "--moto-port" => options.moto_port = port(value("--moto-port")?, "--moto-port")?,
                "--env-vars" => options.env_vars = Some(PathBuf::from(value("--env-vars")?)),
                other => bail!("unknown option `{other}`\n\n{USAGE}"),
            }
        }
        Ok(options)
    }
}

async fn dev(root: &Path, options: DevOptions) -> Result<()> {
    let tools = Tools::new(root);
    let dynamodb = tools.ensure_stand_ins().await?;
    let template = root.join("template.yaml");
    build_functions(root, &[&template], options.release).await?;
    let profile = if options.release { "release" } else { "debug" };
    let binaries = checks::target_dir(root)?.join(profile);

    let stand_ins = StandIns::start(
        &StandInOptions {
            dynamodb_port: options.dynamodb_port,
            moto_port: options.moto_port,
            data_dir: Some(tools.local.join("data/dynamodb")),
            log_dir: tools.local.join("logs"),
        },
        &dynamodb,
        &tools.moto_server(),
    )
    .await?;
    let logs = Logs::new(Some(&tools.local.join("logs/functions.log")), true)?;
    let stack = match Stack::start(
        &StackOptions {
            template,
            names: NameOptions {
                stack_name: "storefront-local".into(),
                suffix: String::new(),
                parameters: Default::default(),
                queue_endpoint: None,
            },
            api_port: options.port,
            invoke_port: options.invoke_port,
            env_vars: options.env_vars,
            binaries,
        },
        &stand_ins,
        &logs,
    )
    .await
    {
        Ok(stack) => stack,
        Err(err) => {
            stand_ins.stop().await;
            return Err(err);
        }
    };
    let admin_email = std::env::var("ADMIN_EMAIL").unwrap_or_else(|_| admin::DEFAULT_EMAIL.into());
    let admin_password =
        std::env::var("ADMIN_PASSWORD").unwrap_or_else(|_| admin::DEFAULT_PASSWORD.into());
    if let Some(table) = stack.template.tables.first() {
        let client = standins::dynamodb_client(&stand_ins.dynamodb_url).await;
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
        "\nStorefront is running.\n  API          http://{}\n  Invoke API   http://{}  (aws lambda invoke --endpoint-url http://{} --function-name HealthFunction out.json)\n  DynamoDB     {}  (data kept in .local/data)\n  S3/SQS/...   {}\n  logs         .local/logs/\n\n{}\nCtrl-C stops everything.\n",
        stack.api,
        stack.invoke,
        stack.invoke,
        stand_ins.dynamodb_url,
        stand_ins.moto_url,
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
