//! API9 Improper Inventory Management: what is deployed is what is documented, and no more.
//!
//! Proved here: the routes of `template.yaml` and the operations of `openapi.yaml` are the same
//! set (no undocumented door, no documented ghost), there is one stage and no versioned or
//! debugging path: `/v1/...`, `/v0/...`, `/admin`, `/debug`, `/internal`, `/.env`,
//! `/swagger.json` are 404 problems. `cargo xtask test` also checks the set before any test.

use std::collections::BTreeSet;

use crate::helpers::{api, assert_problem};

#[tokio::test]
async fn the_template_routes_and_the_documented_operations_are_the_same() {
    let template = super::yaml("template.yaml");
    let mut routes = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        let events = resource["Properties"]
            .get("Events")
            .and_then(|e| e.as_mapping());
        for (_, event) in events.into_iter().flatten() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            // The catch-all ($default, no path and no method) answers 404 to what is not a route.
            let properties = &event["Properties"];
            let (Some(method), Some(path)) = (
                properties.get("Method").and_then(|m| m.as_str()),
                properties.get("Path").and_then(|p| p.as_str()),
            ) else {
                continue;
            };
            routes.insert((method.to_ascii_uppercase(), path.to_owned()));
        }
    }
    let documented: BTreeSet<(String, String)> = super::operations()
        .into_iter()
        .map(|o| (o.method.to_string(), o.path))
        .collect();
    assert_eq!(routes, documented);
}

#[tokio::test]
async fn no_versioned_debug_or_internal_path_answers() {
    for path in [
        "/v1/products",
        "/v0/health",
        "/admin",
        "/debug",
        "/internal/stats",
        "/.env",
        "/swagger.json",
        "/api/products",
    ] {
        assert_problem(&api().get(path).await, 404, "not_found");
    }
}
