//! The API's route table, as the template declares it to API Gateway.
//!
//! The fallback function uses it to tell an unknown path (404) from a known path asked with the
//! wrong method (405, with `Allow`). `cargo xtask test` checks that this table and the template's
//! `HttpApi` events list exactly the same routes, so the two cannot drift apart.

use std::collections::BTreeMap;

use crate::percent::{self, Plus};

/// `(method, path template)` of every route, in API Gateway's syntax (`/products/{id}`).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("POST", "/auth/password-reset"),
    ("POST", "/auth/password-reset/confirm"),
    ("GET", "/me"),
    ("PATCH", "/me"),
    ("POST", "/admin/users/{id}/role"),
    ("GET", "/products"),
    ("POST", "/products"),
    ("GET", "/products/{id}"),
    ("PATCH", "/products/{id}"),
    ("DELETE", "/products/{id}"),
    ("POST", "/products/{id}/images"),
    ("POST", "/products/{id}/variants"),
    ("PATCH", "/products/{id}/variants/{variant_id}"),
    ("POST", "/products/{id}/variants/{variant_id}/stock"),
    ("GET", "/admin/inventory/{variant_id}/movements"),
    ("POST", "/checkout/quote"),
    ("POST", "/orders"),
    ("GET", "/orders"),
    ("GET", "/orders/{id}"),
    ("POST", "/orders/{id}/cancel"),
    ("GET", "/admin/orders"),
    ("PUT", "/admin/shipping-zones/{zone_id}"),
    ("GET", "/admin/shipping-zones"),
    ("DELETE", "/admin/shipping-zones/{zone_id}"),
    ("PUT", "/admin/tax-rates/{region}"),
    ("GET", "/admin/tax-rates"),
    ("DELETE", "/admin/tax-rates/{region}"),
    ("PUT", "/admin/settings"),
    ("POST", "/admin/discounts"),
    ("GET", "/admin/discounts"),
    ("PATCH", "/admin/discounts/{code}"),
    ("POST", "/admin/orders/{id}/ship"),
    ("POST", "/admin/orders/{id}/deliver"),
    ("POST", "/admin/orders/{id}/refunds"),
    ("POST", "/payments/stripe/webhook"),
    ("POST", "/contact"),
    ("GET", "/admin/messages"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/reports/{date}"),
];

/// The path parameters a concrete path gives a route's path template, decoded, or `None` when
/// it does not match. A `{name}` segment takes one non-empty segment; a greedy `{name+}` takes
/// the non-empty rest. This is the one matcher: the fallback function uses it for `Allow`, and
/// the local runner routes requests with it as API Gateway does.
pub fn path_parameters(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let pattern: Vec<&str> = template.trim_matches('/').split('/').collect();
    let actual: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let mut params = BTreeMap::new();
    for (i, segment) in pattern.iter().enumerate() {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            let rest = actual.get(i..)?.join("/");
            if rest.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), decode_segment(&rest));
            return Some(params);
        }
        let value = actual.get(i)?;
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            if value.is_empty() {
                return None;
            }
            params.insert(name.to_owned(), decode_segment(value));
        } else if segment != value {
            return None;
        }
    }
    (pattern.len() == actual.len()).then_some(params)
}

/// A path segment decoded; one with a malformed escape is passed on as it came.
pub fn decode_segment(segment: &str) -> String {
    percent::decode(segment, Plus::Literal).unwrap_or_else(|| segment.to_owned())
}

/// Whether a concrete path matches a route's path template.
pub fn path_matches(template: &str, path: &str) -> bool {
    path_parameters(template, path).is_some()
}

/// The methods the routes allow on `path`; empty when no route has that path.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = ROUTES
        .iter()
        .filter(|(_, template)| path_matches(template, path))
        .map(|(method, _)| *method)
        .collect();
    methods.sort_unstable();
    methods.dedup();
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths() {
        assert!(path_matches("/products/{id}", "/products/01J"));
        assert!(path_matches(
            "/products/{id}/images",
            "/products/01J/images"
        ));
        assert!(!path_matches("/products/{id}", "/products"));
        assert!(!path_matches("/products/{id}", "/products/"));
        assert!(!path_matches("/products/{id}", "/products/a/b"));
        assert!(path_matches("/files/{proxy+}", "/files/a/b/c"));
        assert!(path_matches("/health", "/health"));
        assert!(!path_matches("/health", "/health/"));
        assert!(!path_matches("/files/{proxy+}", "/files/"));
    }

    #[test]
    fn parameters_are_decoded_and_greedy_ones_take_the_rest() {
        let params = path_parameters("/products/{id}", "/products/a%20b").unwrap_or_default();
        assert_eq!(params.get("id").map(String::as_str), Some("a b"));
        let params = path_parameters("/files/{proxy+}", "/files/a/b%2Fc").unwrap_or_default();
        assert_eq!(params.get("proxy").map(String::as_str), Some("a/b/c"));
        let params = path_parameters("/products/{id}", "/products/100%").unwrap_or_default();
        assert_eq!(params.get("id").map(String::as_str), Some("100%"));
    }

    #[test]
    fn the_health_route_allows_get_only() {
        assert_eq!(allowed_methods("/health"), vec!["GET"]);
        assert!(allowed_methods("/nothing-here").is_empty());
    }

    #[test]
    fn methods_of_one_path_are_gathered() {
        assert_eq!(allowed_methods("/me"), vec!["GET", "PATCH"]);
        assert_eq!(allowed_methods("/admin/users/01J/role"), vec!["POST"]);
    }
}
