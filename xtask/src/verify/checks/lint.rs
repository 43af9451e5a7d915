//! The template through `sam validate --lint` and cfn-lint (after SAM's translator expands it), and one feature set for xtask and the workspace.

use super::*;

/// SAM's translator expands the template as CloudFormation will receive it. Local `CodeUri`s
/// become placeholders (nothing is uploaded) and no managed policy is looked up (no network),
/// which is all the translator needs to run offline.
pub(super) const EXPAND: &str = r#"
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

class NoManagedPolicies:
    def load(self):
        return {}

with open(sys.argv[1]) as source:
    template = yaml_parse(source.read())
for resource in template.get("Resources", {}).values():
    properties = resource.get("Properties", {})
    if resource.get("Type") == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
        properties["CodeUri"] = "s3://placeholder-bucket/code.zip"
with open(sys.argv[2], "w") as out:
    json.dump(transform(template, {}, NoManagedPolicies()), out, indent=1)
"#;

/// Whether `cargo xtask` itself is built with the features the workspace's build uses for
/// every crate the two share. Where they differ, a fresh clone compiles those crates, and
/// everything above them (the AWS SDK), twice: once to run xtask, once for the tests.
pub async fn features_unified(root: &Path) -> Result<()> {
    let features = |selection: &'static [&'static str]| async move {
        let edges = ["-e", "features,normal,build,dev", "-f", "{p}|{f}"];
        let tree = cargo_tree(root, &[selection, &edges].concat()).await?;
        anyhow::Ok(package_features(&tree))
    };
    let xtask = features(&["-p", "xtask"]).await?;
    let workspace = features(&["--workspace"]).await?;
    let differing: Vec<String> = xtask
        .iter()
        .filter_map(|(package, ours)| {
            let theirs = workspace.get(package)?;
            (ours != theirs).then(|| format!("{package}: xtask [{ours}], workspace [{theirs}]"))
        })
        .collect();
    if !differing.is_empty() {
        bail!(
            "xtask builds these crates with other features than the workspace, so a fresh run \
             compiles them twice; pin the workspace's features in xtask/Cargo.toml:\n  {}",
            differing.join("\n  ")
        );
    }
    emit(&format!(
        "· one feature set: xtask's {} dependencies are built as the workspace builds them",
        xtask.len()
    ));
    Ok(())
}

/// `package version` → its features, from `cargo tree -f "{p}|{f}"` lines; the workspace's own
/// crates (those with a path) are left out.
pub(super) fn package_features(tree: &str) -> std::collections::BTreeMap<String, String> {
    tree.lines()
        .filter(|line| !line.contains("feature \"") && !line.contains(" (/"))
        .filter_map(|line| {
            let (package, features) = line.split_once('|')?;
            let package = package
                .trim_end_matches(" (*)")
                .trim_end_matches(" (proc-macro)");
            let features = features.trim_end_matches(" (*)").trim();
            Some((package.trim().to_owned(), features.to_owned()))
        })
        .collect()
}

/// Whether any crate that deploys (every package but xtask and the black-box tests, with their
/// normal dependencies only) carries the test support of `shared`: the `testing` feature, which
/// the handler tests turn on as a dev-dependency.
pub async fn no_test_support_deployed(root: &Path) -> Result<()> {
    let deployed = [
        "--workspace",
        "--exclude",
        "xtask",
        "--exclude",
        "storefront-tests",
    ];
    let tree = cargo_tree(root, &[&deployed[..], &["-e", "features,normal"]].concat()).await?;
    if tree
        .lines()
        .any(|l| l.starts_with("shared feature \"testing\""))
    {
        bail!("a function's deployed dependencies include shared's `testing` feature");
    }
    emit(
        "· no test support deployed: the functions' normal dependencies leave shared's `testing` off",
    );
    Ok(())
}

/// `cargo tree` of the workspace with `args`, one package a line (no indentation).
async fn cargo_tree(root: &Path, args: &[&str]) -> Result<String> {
    let cargo = crate::tools::cargo_program();
    let output = Command::new(cargo)
        .current_dir(root)
        .arg("tree")
        .args(args)
        .args(["--prefix", "none"])
        .output()
        .await
        .context("cannot run cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `sam validate --lint`, then cfn-lint over the expanded template.
pub async fn lint_template(root: &Path, tools: &Tools) -> Result<()> {
    let bin = tools.sam_bin();
    let template = root.join("template.yaml");
    run(
        Command::new(bin.join("sam"))
            .args(["validate", "--lint", "--template"])
            .arg(&template)
            .env("AWS_DEFAULT_REGION", crate::local::template::REGION)
            .env("SAM_CLI_TELEMETRY", "0"),
        "sam validate --lint",
    )
    .await?;
    let expanded = tools.local.join("template.expanded.json");
    run(
        Command::new(bin.join("python"))
            .arg("-c")
            .arg(EXPAND)
            .arg(&template)
            .arg(&expanded)
            .env("AWS_DEFAULT_REGION", crate::local::template::REGION),
        "SAM's translator (expanding template.yaml)",
    )
    .await?;
    run(
        Command::new(bin.join("cfn-lint"))
            .arg("--")
            .arg(&expanded)
            .env("AWS_DEFAULT_REGION", crate::local::template::REGION),
        "cfn-lint over the expanded template",
    )
    .await?;
    emit("· template: sam validate --lint and cfn-lint (expanded) pass");
    Ok(())
}
