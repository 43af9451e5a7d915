//! The contract check: schemathesis generates requests from `openapi.yaml` and sends them to the
//! local stack, in every phase (coverage, fuzzing, stateful) with every check, and fails on any
//! disagreement between the document and the server. `tests/schemathesis.toml` holds its
//! settings and, each with its reason, the few places where a check must expect a status the
//! generator cannot avoid (a cursor, a reset token or a signature it cannot make up).
//!
//! It runs last in `cargo xtask test`, on the same stack as the black-box tests: what it creates
//! (accounts, products, orders) changes no figure another test reads.

use std::path::Path;

use anyhow::{Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::logs::emit;

const CONFIG: &str = "tests/schemathesis.toml";
const DOCUMENT: &str = "openapi.yaml";

/// What schemathesis' summary says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub operations: u64,
    pub generated: u64,
    pub passed: u64,
    pub failures: u64,
}

/// Runs schemathesis against the API at `api` (`http://host:port`), as a customer and as the
/// admin whose credentials are given.
pub async fn schemathesis(
    root: &Path,
    st: &Path,
    api: &str,
    admin: (&str, &str),
    report_dir: &Path,
) -> Result<Summary> {
    let customer_email = format!(
        "contract-{}@storefront.test",
        crate::tools::random_text(10)?
    );
    let customer_password = crate::tools::random_text(24)?;
    let (status, _) = post_json(
        api,
        "/auth/register",
        json!({"email": customer_email, "password": customer_password, "name": "Contract"}),
    )
    .await?;
    if status != 201 {
        bail!("cannot register the contract check's customer: {status}");
    }
    let customer_token = access_token(api, &customer_email, &customer_password).await?;
    let admin_token = access_token(api, admin.0, admin.1).await?;
    // A seed of the run's own, printed: a failure is replayed with the same seed.
    let seed = match std::env::var("STOREFRONT_SCHEMATHESIS_SEED") {
        Ok(seed) => seed,
        Err(_) => crate::tools::random_from(b"123456789", 9)?,
    };
    emit(&format!(
        "· schemathesis seed {seed} (STOREFRONT_SCHEMATHESIS_SEED={seed} replays this run)"
    ));
    // schemathesis keeps a cache in the folder it runs in: the run's report folder, not the
    // repository. Every check runs, as schemathesis does by default; none is named here, since
    // a check named on the command line would override the settings of tests/schemathesis.toml.
    std::fs::create_dir_all(report_dir)?;
    let mut command = Command::new(st);
    command
        .current_dir(report_dir)
        .arg("--config-file")
        .arg(root.join(CONFIG))
        .arg("run")
        .arg(root.join(DOCUMENT))
        .args(["--url", api, "--no-color"])
        .args(["--seed", &seed])
        .args(["--report", "junit", "--report-dir"])
        .arg(report_dir)
        .env("STOREFRONT_CUSTOMER_TOKEN", customer_token)
        .env("STOREFRONT_ADMIN_TOKEN", admin_token);
    let mut output = String::new();
    let status = crate::logs::run_streaming(command, "schemathesis", |line| {
        output.push_str(line);
        output.push('\n');
    })
    .await?;
    let summary = summary(&output);
    if !status.success() || summary.failures > 0 || summary.generated == 0 {
        bail!(
            "schemathesis found disagreements between {DOCUMENT} and the API ({status}); \
             its report is in {}",
            report_dir.display()
        );
    }
    Ok(summary)
}

async fn access_token(api: &str, email: &str, password: &str) -> Result<String> {
    let (status, body) = post_json(
        api,
        "/auth/login",
        json!({"email": email, "password": password}),
    )
    .await?;
    match body["access_token"].as_str() {
        Some(token) if status == 200 => Ok(token.to_owned()),
        _ => bail!("cannot log in as {email}: {status}"),
    }
}

async fn post_json(api: &str, path: &str, body: Value) -> Result<(u16, Value)> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let request = http::Request::post(format!("{api}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))?;
    let response = client.request(request).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// Reads the figures of schemathesis' closing summary:
///
/// ```text
/// API Operations:
///   Selected: 28/28
///   Tested: 28
/// ...
/// Test cases:
///   2461 generated, 2461 passed, 30 skipped
/// ```
///
/// or `2135 generated, 28 found 28 unique failures, 30 skipped` when some failed.
fn summary(output: &str) -> Summary {
    let mut summary = Summary::default();
    let mut lines = output.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if let Some(tested) = line.strip_prefix("Tested: ") {
            summary.operations = tested.parse().unwrap_or(0);
        }
        if line == "Test cases:" {
            let counts = lines.next().unwrap_or_default();
            for part in counts.split(", ") {
                let mut words = part.split_whitespace();
                let number: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
                match words.next() {
                    Some("generated") => summary.generated = number,
                    Some("passed") => summary.passed = number,
                    Some("found") => {
                        summary.failures = words.next().and_then(|n| n.parse().ok()).unwrap_or(1)
                    }
                    _ => {}
                }
            }
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::{Summary, summary};

    #[test]
    fn the_summary_is_read_when_all_pass_and_when_some_fail() {
        let passing = "API Operations:\n  Selected: 28/28\n  Tested: 28\n\nTest cases:\n  2461 generated, 2461 passed, 30 skipped\n";
        assert_eq!(
            summary(passing),
            Summary {
                operations: 28,
                generated: 2461,
                passed: 2461,
                failures: 0
            }
        );
        let failing = "  Tested: 28\nTest cases:\n  2135 generated, 28 found 28 unique failures, 30 skipped\n";
        let read = summary(failing);
        assert_eq!((read.generated, read.failures), (2135, 28));
    }
}
