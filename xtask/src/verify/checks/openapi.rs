//! The OpenAPI document against the routes: a client generated from it calls exactly what is deployed.

use super::*;

/// The operations of `openapi.yaml` must be the routes: a client generated from it then calls
/// exactly what is deployed.
pub(super) fn check_openapi(root: &Path, routes: &BTreeSet<(String, String)>) -> Vec<String> {
    let path = root.join("openapi.yaml");
    let document: serde_norway::Value = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_norway::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(document) => document,
        Err(err) => return vec![format!("openapi.yaml cannot be read: {err}")],
    };
    let mut operations = BTreeSet::new();
    let paths = document
        .get("paths")
        .and_then(serde_norway::Value::as_mapping);
    for (path, item) in paths.into_iter().flatten() {
        let path = path.as_str().unwrap_or_default();
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert((method.to_ascii_uppercase(), path.to_owned()));
            }
        }
    }
    let mut problems = Vec::new();
    for missing in routes.difference(&operations) {
        problems.push(format!(
            "the route {} {} is not in openapi.yaml",
            missing.0, missing.1
        ));
    }
    for extra in operations.difference(routes) {
        problems.push(format!(
            "openapi.yaml has {} {}, which is no route",
            extra.0, extra.1
        ));
    }
    problems
}
