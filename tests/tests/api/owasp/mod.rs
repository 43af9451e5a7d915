//! The OWASP API Security Top 10 (2023), one module per risk. Each module says what it proves
//! here and names the tests elsewhere that prove the rest; together they cover every route
//! with an id or an admin role, every list and body limit, and the template's public surface.

mod api01_object_level_authorization;
mod api02_authentication;
mod api03_object_property_level_authorization;
mod api04_resource_consumption;
mod api05_function_level_authorization;
mod api06_sensitive_business_flows;
mod api07_server_side_request_forgery;
mod api08_security_misconfiguration;
mod api09_inventory_management;
mod api10_unsafe_consumption_of_apis;

use std::collections::BTreeSet;

use serde_norway::Value as Yaml;

/// A file of the project, read from the repository.
fn project_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml(name: &str) -> Yaml {
    serde_norway::from_str(&project_file(name)).unwrap()
}

/// One operation of `openapi.yaml`.
#[derive(Debug, Clone)]
struct Operation {
    method: http::Method,
    path: String,
    summary: String,
    /// Whether a request without a bearer token is refused (security is `bearer` alone).
    bearer_only: bool,
}

impl Operation {
    /// The path with each `{parameter}` replaced: ids by `id`, the rest by values of their
    /// kind (a date, a zone, a region, a discount code).
    fn path_with(&self, id: &str) -> String {
        fill(&self.path, id)
    }
}

/// `path` with each `{parameter}` replaced: ids by `id`, the others by values of their kind.
fn fill(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{variant_id}", id)
        .replace("{date}", "2026-01-01")
        .replace("{zone_id}", "owasp-zone")
        .replace("{region}", "US-OR")
        .replace("{code}", "OWASP-CODE")
}

fn operations() -> Vec<Operation> {
    let document = yaml("openapi.yaml");
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_mapping().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let bearer_only = operation
                .get("security")
                .and_then(Yaml::as_sequence)
                .is_some_and(|alternatives| {
                    alternatives.len() == 1 && alternatives[0].get("bearer").is_some()
                });
            found.push(Operation {
                method: method.to_ascii_uppercase().parse().unwrap(),
                path: path.as_str().unwrap().to_owned(),
                summary: operation["summary"].as_str().unwrap_or_default().to_owned(),
                bearer_only,
            });
        }
    }
    found
}

/// Every property name any schema of `openapi.yaml` declares.
fn documented_properties() -> BTreeSet<String> {
    fn walk(value: &Yaml, names: &mut BTreeSet<String>) {
        match value {
            Yaml::Mapping(map) => {
                if let Some(properties) = map.get("properties").and_then(Yaml::as_mapping) {
                    names.extend(
                        properties
                            .keys()
                            .filter_map(|k| k.as_str().map(str::to_owned)),
                    );
                }
                for value in map.values() {
                    walk(value, names);
                }
            }
            Yaml::Sequence(items) => items.iter().for_each(|v| walk(v, names)),
            _ => {}
        }
    }
    let mut names = BTreeSet::new();
    walk(&yaml("openapi.yaml"), &mut names);
    names
}

/// An id that names nothing.
fn no_such_id() -> String {
    "01JD5X8Y9Z0A1B2C3D4E5F6G7H".to_owned()
}
