//! Offline checks of the template: what `sam validate` cannot know about this project (every
//! function has its crate, its binary and sample events that parse as its event type; the
//! route table in `shared` is the template's), then `sam validate --lint`, and cfn-lint over the
//! template as SAM's own translator expands it (cfn-lint alone does not look inside SAM
//! resources).

mod operations;
use operations::*;
mod openapi;
use openapi::*;
mod events;
use events::*;
mod lint;
pub use lint::{features_unified, lint_template, no_test_support_deployed};
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use tokio::process::Command;

use crate::local::template::{Event, Function, NameOptions, Template};
use crate::logs::emit;
use crate::tools::{Tools, run};

/// Checks the template against the workspace and `events/`; returns what is wrong.
pub fn check_project(root: &Path) -> Result<()> {
    let template = Template::load(&root.join("template.yaml"), &NameOptions::default())?;
    let metadata = crate::tools::cargo_metadata(root)?;
    let mut problems = Vec::new();

    for function in &template.functions {
        let crate_dir = root.join(&function.code_uri);
        match binaries_of(&metadata, &crate_dir) {
            None => problems.push(format!(
                "{}: CodeUri {} is not a crate of the workspace",
                function.logical_id, function.code_uri
            )),
            Some(bins) if !bins.contains(&function.binary) => problems.push(format!(
                "{}: the crate {} has no binary `{}` (it has {bins:?})",
                function.logical_id, function.code_uri, function.binary
            )),
            Some(_) => {}
        }
        problems.extend(check_events(root, function));
    }
    problems.extend(crate::perf::bench::subjects::cover(&template).err());

    let declared: BTreeSet<(String, String)> = template
        .routes()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let table: BTreeSet<(String, String)> = shared::routes::ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    for missing in declared.difference(&table) {
        problems.push(format!(
            "the route {} {} is in the template but not in shared::routes::ROUTES",
            missing.0, missing.1
        ));
    }
    for extra in table.difference(&declared) {
        problems.push(format!(
            "the route {} {} is in shared::routes::ROUTES but not in the template",
            extra.0, extra.1
        ));
    }

    problems.extend(check_openapi(root, &table));
    problems.extend(check_operations(root));
    if !problems.is_empty() {
        bail!(
            "the template and the project disagree:\n  - {}",
            problems.join("\n  - ")
        );
    }
    emit(&format!(
        "· template: {} functions, each with its crate, binary and events; {} routes match shared::routes and openapi.yaml",
        template.functions.len(),
        declared.len()
    ));
    Ok(())
}

/// The binary targets of the workspace package whose manifest is in `dir`.
fn binaries_of(metadata: &serde_json::Value, dir: &Path) -> Option<Vec<String>> {
    let manifest = dir.join("Cargo.toml");
    let manifest = manifest.canonicalize().ok()?;
    let package = metadata["packages"]
        .as_array()?
        .iter()
        .find(|p| p["manifest_path"].as_str().map(PathBuf::from).as_deref() == Some(&manifest))?;
    Some(
        package["targets"]
            .as_array()?
            .iter()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .filter_map(|t| t["name"].as_str().map(str::to_owned))
            .collect(),
    )
}
