//! `cargo xtask test`: everything CI runs, in the order that fails fastest.
//!
//! 1. `cargo fmt --check`, then every test target built with Clippy's driver and `-D warnings`
//!    (the build the unit and black-box tests then use: see [`Cargo`]);
//! 2. cargo-deny over the dependency graph (licenses, duplicate versions, sources, and the
//!    RustSec advisories when their database can be fetched);
//! 3. unit tests of every crate, and `shared`'s property tests;
//! 4. the template against the project (crates, binaries, events, routes);
//! 5. `sam validate --lint`, and cfn-lint over the template expanded by SAM's translator;
//! 6. the black-box tests (`tests/`) against a fresh local stack: in-memory DynamoDB Local and
//!    moto on free ports, the project's template and the runner's fixture template served side
//!    by side, every table, bucket and queue named for this run;
//! 7. on the same stack, schemathesis: `openapi.yaml` against what the API does
//!    (`contract.rs`).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use tokio::process::Command;

use crate::local::stack::{Stack, StackOptions, build_functions};
use crate::local::standins::{StandInOptions, StandIns};
use crate::local::template::NameOptions;
use crate::logs::{Logs, emit, run_streaming};
use crate::tools::{StandInTools, Tools};
use crate::verify::checks;
use crate::verify::contract;

/// The runner's own fixture: a template and functions that exist to test the runner.
const FIXTURE_TEMPLATE: &str = "xtask/fixture/template.yaml";

pub async fn test(root: &Path) -> Result<()> {
    let started = Instant::now();
    let cargo = Cargo::find().await?;
    // What waits on the network installs while the workspace compiles: on a new machine the
    // stand-ins, SAM, the linters and schemathesis take over a minute to fetch and unpack.
    let tools = Tools::new(root);
    let installing = tokio::spawn(install(tools.clone()));
    let deny = tokio::spawn({
        let tools = tools.clone();
        async move { tools.ensure_cargo_deny().await }
    });

    step(
        "format",
        cargo.command(root, &["fmt", "--all", "--", "--check"]),
    )
    .await?;
    // Clippy lints as the workspace compiles (see [`Cargo`]): every target built here, the
    // black-box binaries later, and the dependencies compiled once for all of it.
    step(
        "clippy, and the build of every test target",
        cargo.command(root, &["test", "--workspace", "--all-targets", "--no-run"]),
    )
    .await?;
    supply_chain(root, deny.await.context("the cargo-deny install stopped")??).await?;
    checks::features_unified(root).await?;
    checks::no_test_support_deployed(root).await?;
    let mut totals = Totals::default();
    test_step(
        "unit tests",
        cargo.command(
            root,
            // Every package selected, as for the black-box run below: one feature resolution,
            // so the dependencies compiled here serve that run too.
            // `properties` is shared's property tests (shared/tests/properties.rs).
            &[
                "test",
                "--workspace",
                "--lib",
                "--bins",
                "--test",
                "properties",
            ],
        ),
        &mut totals,
    )
    .await?;

    let section = Instant::now();
    emit("\n== template checks");
    checks::check_project(root)?;
    let Installed {
        stand_ins: stand_in_tools,
        schemathesis,
    } = installing.await.context("the installs stopped")??;
    checks::lint_template(root, &tools).await?;
    emit(&format!(
        "== template checks: ok in {:.1} s",
        section.elapsed().as_secs_f64()
    ));

    let section = Instant::now();
    emit("\n== black-box tests against the local stack");
    let fixture = root.join(FIXTURE_TEMPLATE);
    let main_template = root.join("template.yaml");
    build_functions(root, &[&main_template, &fixture], false, &cargo.lint_env()).await?;
    let binaries = crate::tools::target_dir(root)?.join("debug");
    let run_id = ulid::Ulid::new().to_string().to_ascii_lowercase();
    let run_dir = tools.local.join("test-runs").join(&run_id);
    std::fs::create_dir_all(&run_dir)?;

    let stand_ins = StandIns::start(
        &StandInOptions::ephemeral(run_dir.join("stand-ins")),
        &stand_in_tools,
    )
    .await?;
    let result = black_box(
        root,
        &cargo,
        &stand_ins,
        &binaries,
        &schemathesis,
        &run_dir,
        &run_id,
        &mut totals,
    )
    .await;
    stand_ins.stop().await;
    let contract = result?;
    emit(&format!(
        "== black-box tests: ok in {:.1} s\n\nall checks passed in {:.0} s",
        section.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    ));
    // The plain closing line CI reads: every test of the run, unit and black-box.
    emit(&format!(
        "tests: {} passed, {} failed",
        totals.passed, totals.failed
    ));
    emit(&format!(
        "schemathesis: {} operations, {} cases generated, {} passed, {} failures",
        contract.operations, contract.generated, contract.passed, contract.failures
    ));
    Ok(())
}

/// What the test run installs into `.local` on its first run.
struct Installed {
    stand_ins: StandInTools,
    schemathesis: std::path::PathBuf,
}

/// Every tool the run needs, installed side by side (each skips itself once installed).
async fn install(tools: Tools) -> Result<Installed> {
    let (stand_ins, sam, schemathesis, swagger_ui) = tokio::join!(
        tools.ensure_stand_ins(),
        tools.ensure_sam(),
        tools.ensure_schemathesis(),
        tools.ensure_swagger_ui()
    );
    sam?;
    swagger_ui?;
    Ok(Installed {
        stand_ins: stand_ins?,
        schemathesis: schemathesis?,
    })
}

#[allow(clippy::too_many_arguments)]
async fn black_box(
    root: &Path,
    cargo: &Cargo,
    stand_ins: &StandIns,
    binaries: &Path,
    schemathesis: &Path,
    run_dir: &Path,
    run_id: &str,
    totals: &mut Totals,
) -> Result<contract::Summary> {
    let log_file = run_dir.join("functions.log");
    let logs = Logs::new(Some(&log_file), false)?;
    let suffix = format!("-{}", &run_id[run_id.len() - 8..]);
    let record_dir = run_dir.join("recorded");
    std::fs::create_dir_all(&record_dir)?;
    let fixture_env = run_dir.join("fixture-env.json");
    std::fs::write(
        &fixture_env,
        serde_json::json!({ "RecorderFunction": { "RECORD_DIR": record_dir } }).to_string(),
    )?;

    // The project's functions reach DynamoDB through the fault door, which the quiet tests
    // close and make throttle; the fixture's do not need it.
    let door = crate::verify::faults::Door::start("dynamodb", &stand_ins.dynamodb_url).await?;
    // And Stripe through another, which they close in front of one function.
    let stripe_door = crate::verify::faults::Door::start("stripe", &stand_ins.stripe_url).await?;
    let main = Stack::start(
        &StackOptions {
            template: root.join("template.yaml"),
            names: NameOptions {
                stack_name: "storefront-test".into(),
                suffix: suffix.clone(),
                parameters: [
                    // A short lockout window, so a test can see it end.
                    ("LoginLockoutWindowSeconds".to_owned(), "5".to_owned()),
                    // A short payment window, so that the expiry job has orders to expire; the
                    // jobs run when a test invokes them, never on their schedules.
                    ("OrderPaymentTimeoutSeconds".to_owned(), "2".to_owned()),
                    ("SchedulesState".to_owned(), "DISABLED".to_owned()),
                    // Settings a test changes reach the next checkout within a second.
                    ("SettingsCacheSeconds".to_owned(), "1".to_owned()),
                    (
                        crate::local::standins::STRIPE_BASE_PARAMETER.to_owned(),
                        stripe_door.url.clone(),
                    ),
                ]
                .into(),
                queue_endpoint: None,
            },
            api_port: 0,
            invoke_port: 0,
            env_vars: None,
            binaries: binaries.to_path_buf(),
            dynamodb_door: Some(door.url.clone()),
        },
        stand_ins,
        &logs,
    )
    .await
    .context("cannot start the project's stack")?;
    crate::local::stripe::connect(&main, stand_ins).await?;
    let fixture = Stack::start(
        &StackOptions {
            template: root.join(FIXTURE_TEMPLATE),
            names: NameOptions {
                stack_name: "fixture".into(),
                suffix,
                parameters: Default::default(),
                queue_endpoint: None,
            },
            api_port: 0,
            invoke_port: 0,
            env_vars: Some(fixture_env),
            binaries: binaries.to_path_buf(),
            dynamodb_door: None,
        },
        stand_ins,
        &logs,
    )
    .await
    .context("cannot start the fixture stack")?;

    let table = main
        .template
        .tables
        .first()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let admin_email = format!("admin-{}@storefront.test", &run_id[run_id.len() - 8..]);
    let admin_password = crate::tools::random_text(24)?;
    crate::admin::ensure_admin(
        crate::local::standins::dynamodb_client(&stand_ins.dynamodb_url).await,
        &table,
        &admin_email,
        &admin_password,
        "Test Admin",
        false,
    )
    .await?;
    let secret = main
        .template
        .secrets
        .first()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let uploads_bucket = main
        .template
        .bucket("UploadsBucket")
        .map(|b| b.name.clone())
        .unwrap_or_default();
    let mail_queue = main
        .template
        .queues
        .iter()
        .find(|q| q.logical_id == "MailQueue")
        .map(|q| q.url.clone())
        .unwrap_or_default();
    let drop_bucket = fixture
        .template
        .bucket("DropBucket")
        .map(|b| b.name.clone())
        .unwrap_or_default();
    let environment: Vec<(&str, String)> = vec![
        ("STOREFRONT_API", format!("http://{}", main.api)),
        ("STOREFRONT_INVOKE", format!("http://{}", main.invoke)),
        ("STOREFRONT_LOG_FILE", log_file.display().to_string()),
        (
            "STOREFRONT_SHOP_WRITES",
            run_dir.join("shop-writes.jsonl").display().to_string(),
        ),
        ("STOREFRONT_SECRET", secret),
        ("STOREFRONT_TABLE", table.clone()),
        ("STOREFRONT_UPLOADS_BUCKET", uploads_bucket),
        ("STOREFRONT_MAIL_QUEUE_URL", mail_queue),
        ("STOREFRONT_ADMIN_EMAIL", admin_email.clone()),
        ("STOREFRONT_ADMIN_PASSWORD", admin_password.clone()),
        ("FIXTURE_API", format!("http://{}", fixture.api)),
        ("FIXTURE_INVOKE", format!("http://{}", fixture.invoke)),
        ("FIXTURE_RECORD_DIR", record_dir.display().to_string()),
        ("FIXTURE_DROP_BUCKET", drop_bucket),
        ("MOTO_URL", stand_ins.moto_url.clone()),
        ("STRIPE_URL", stand_ins.stripe_url.clone()),
        ("DYNAMODB_URL", stand_ins.dynamodb_url.clone()),
        ("FAULTS_URL", door.control_url.clone()),
        ("STRIPE_FAULTS_URL", stripe_door.control_url.clone()),
    ];
    let tests = |target: &str, extra: &[&str]| {
        let mut command = cargo.command(root, &["test", "--workspace", "--test", target, "--"]);
        command
            .args(extra)
            .envs(environment.iter().map(|(k, v)| (*k, v)));
        command
    };
    let mut outcome = run_counting(tests("api", &[]), totals).await;
    if outcome.is_ok() {
        // Then the tests that read figures of the whole shop: alone, and one at a time.
        outcome = run_counting(tests("quiet", &["--test-threads=1"]), totals).await;
    }
    let contract = match outcome {
        Ok(()) => {
            emit("\n== schemathesis: openapi.yaml against the API");
            let started = Instant::now();
            let summary = contract::schemathesis(
                root,
                schemathesis,
                &format!("http://{}", main.api),
                (&admin_email, &admin_password),
                &run_dir.join("schemathesis"),
            )
            .await;
            if summary.is_ok() {
                emit(&format!(
                    "== schemathesis: ok in {:.1} s",
                    started.elapsed().as_secs_f64()
                ));
            }
            summary
        }
        Err(err) => Err(err),
    };
    let contract = contract.and_then(|summary| iam_check(root, &door, run_dir).map(|()| summary));
    main.stop();
    fixture.stop();
    door.stop();
    stripe_door.stop();
    match contract {
        Ok(summary) => Ok(summary),
        Err(err) => bail!(
            "the black-box tests failed ({err:#}); the functions' logs are in {}",
            log_file.display()
        ),
    }
}

/// Passed and failed tests over every `cargo test` of the run.
#[derive(Debug, Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

impl Totals {
    /// Adds a `test result: ok. 3 passed; 0 failed; ...` line.
    fn add(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test result: ") else {
            return;
        };
        let count = |word: &str| {
            rest.split(';')
                .find_map(|part| part.trim().strip_suffix(word))
                .and_then(|n| n.trim().rsplit(' ').next()?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        self.passed += count("passed");
        self.failed += count("failed");
    }
}

/// cargo-deny with the project's `deny.toml`. Licenses, bans and sources need only the
/// crates index; advisories need the RustSec database, which lives on GitHub. Where GitHub
/// cannot be reached the run says, on its own line, that advisories were not checked, and goes
/// on: every other check still holds. Where it can, a known advisory fails the run.
/// Each function's DynamoDB statements against the calls it made in the whole run
/// ([`crate::verify::iam`]).
fn iam_check(root: &Path, door: &crate::verify::faults::Door, run_dir: &Path) -> Result<()> {
    emit("\n== IAM: each function's DynamoDB statements against the calls it made");
    let grants = crate::verify::iam::grants(&std::fs::read_to_string(root.join("template.yaml"))?)?;
    let ledger = door.ledger();
    let written = run_dir.join("dynamodb-calls.txt");
    let lines: Vec<String> = ledger
        .iter()
        .flat_map(|(function, calls)| calls.iter().map(move |c| format!("{function} {c}")))
        .collect();
    std::fs::write(&written, lines.join("\n") + "\n")?;
    let problems = crate::verify::iam::check(&grants, &ledger);
    if !problems.is_empty() {
        bail!(
            "the functions' DynamoDB permissions and calls disagree (the calls: {}):\n  {}",
            written.display(),
            problems.join("\n  ")
        );
    }
    let kinds: usize = grants
        .keys()
        .filter_map(|f| ledger.get(f))
        .map(|c| c.len())
        .sum();
    emit(&format!(
        "== IAM: ok: {} functions, {kinds} kinds of call (action, resource, item prefix), \
         each granted, each grant used",
        grants.len()
    ));
    Ok(())
}

async fn supply_chain(root: &Path, deny: std::path::PathBuf) -> Result<()> {
    let mut graph = Command::new(&deny);
    graph.current_dir(root).args([
        "--log-level",
        "error",
        "check",
        "licenses",
        "bans",
        "sources",
    ]);
    step("cargo-deny: licenses, bans, sources", graph).await?;

    let fetched = Command::new(&deny)
        .current_dir(root)
        .args(["--log-level", "error", "fetch", "db"])
        .output()
        .await
        .context("cannot run cargo-deny fetch")?;
    let unreachable = !fetched.status.success()
        || String::from_utf8_lossy(&fetched.stderr).contains("failed to fetch");
    if unreachable {
        let stderr = String::from_utf8_lossy(&fetched.stderr);
        let reason = stderr
            .lines()
            .find(|l| l.starts_with("fatal:"))
            .or_else(|| stderr.lines().find(|l| l.contains("failed")))
            .unwrap_or("no reason given")
            .trim()
            .to_owned();
        emit(&format!(
            "\n== cargo-deny: advisories NOT checked: the RustSec database cannot be fetched here ({reason})"
        ));
        return Ok(());
    }
    let mut advisories = Command::new(&deny);
    // The database was just fetched, as were the crates (by the check above).
    advisories
        .current_dir(root)
        .args(["--log-level", "error", "--offline", "check", "advisories"]);
    step("cargo-deny: advisories", advisories).await
}

async fn test_step(name: &str, command: Command, totals: &mut Totals) -> Result<()> {
    let started = Instant::now();
    emit(&format!("\n== {name}"));
    run_counting(command, totals)
        .await
        .with_context(|| format!("{name} failed"))?;
    emit(&format!(
        "== {name}: ok in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Runs `cargo test`, passing its output through and counting its results.
async fn run_counting(command: Command, totals: &mut Totals) -> Result<()> {
    let status = run_streaming(command, "cargo test", |line| totals.add(line)).await?;
    if !status.success() {
        bail!("exit {status}");
    }
    Ok(())
}

/// Cargo, with Clippy's driver in place of rustc for the workspace's own crates
/// (`RUSTC_WORKSPACE_WRAPPER`, as `cargo clippy` runs it): the driver lints and then compiles as
/// rustc does, so one build serves the lints, the unit tests and the black-box binaries. `cargo
/// clippy` builds every dependency a second time, as metadata only: a minute and a half of a
/// fresh run on two cores. Every cargo command of the run carries the same two variables, so
/// none rebuilds what another built.
struct Cargo {
    program: String,
    driver: std::path::PathBuf,
}

impl Cargo {
    async fn find() -> Result<Self> {
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let output = Command::new(rustc)
            .args(["--print", "sysroot"])
            .output()
            .await
            .context("cannot run rustc")?;
        let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let driver = Path::new(&sysroot).join("bin/clippy-driver");
        if !driver.is_file() {
            bail!("clippy is not installed for this toolchain: rustup component add clippy");
        }
        Ok(Self {
            program: crate::tools::cargo_program(),
            driver,
        })
    }

    /// The variables `cargo clippy -- -D warnings` sets for its driver.
    fn lint_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("RUSTC_WORKSPACE_WRAPPER", self.driver.display().to_string()),
            // Clippy's own separator between arguments.
            (
                "CLIPPY_ARGS",
                "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__".into(),
            ),
        ]
    }

    fn command(&self, root: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        command.current_dir(root).args(args).envs(self.lint_env());
        command
    }
}

async fn step(name: &str, mut command: Command) -> Result<()> {
    let started = Instant::now();
    emit(&format!("\n== {name}"));
    let status = command
        .status()
        .await
        .with_context(|| format!("cannot run {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    emit(&format!(
        "== {name}: ok in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Totals;

    #[test]
    fn result_lines_are_added_up() {
        let mut totals = Totals::default();
        totals.add("test result: ok. 27 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s");
        totals.add("test result: FAILED. 22 passed; 2 failed; 0 ignored; 0 measured");
        totals.add("running 3 tests");
        assert_eq!((totals.passed, totals.failed), (49, 2));
    }
}
