//! The API's route table, as the template declares it to API Gateway.
//!
//! The fallback function uses it to tell an unknown path (404) from a known path asked with the
//! wrong method (405, with `Allow`). `cargo xtask test` checks that this table and the template's
//! `HttpApi` events list exactly the same routes, so the two cannot drift apart.

use std::collections::BTreeMap;

use crate::auth::Access::{self, Admin, Anyone, SignedIn, Staff};
use crate::percent::{self, Plus};

/// Every route, in API Gateway's syntax (`/products/{id}`), and who may use it: the one table
/// of which role may call which operation. A gated function's gate reads its route's row
/// (`http::auth::Gate::allowed`), and the black-box suite checks every row against every role.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/health", Anyone),
    ("POST", "/auth/register", Anyone),
    ("POST", "/auth/login", Anyone),
    ("POST", "/auth/refresh", Anyone),
    ("POST", "/auth/logout", SignedIn),
    ("POST", "/auth/password-reset", Anyone),
    ("POST", "/auth/password-reset/confirm", Anyone),
    ("GET", "/me", SignedIn),
    ("PATCH", "/me", SignedIn),
    ("POST", "/admin/users/{id}/role", Admin),
    ("GET", "/products", Anyone),
    ("POST", "/products", Staff),
    ("GET", "/products/{id}", Anyone),
    ("PATCH", "/products/{id}", Staff),
    ("DELETE", "/products/{id}", Staff),
    ("POST", "/products/{id}/images", Staff),
    ("POST", "/products/{id}/variants", Staff),
    ("PATCH", "/products/{id}/variants/{variant_id}", Staff),
    ("POST", "/products/{id}/variants/{variant_id}/stock", Staff),
    ("GET", "/admin/inventory/{variant_id}/movements", Staff),
    ("POST", "/checkout/quote", Anyone),
    ("POST", "/orders", Anyone),
    ("GET", "/orders", SignedIn),
    ("GET", "/orders/{id}", Anyone),
    ("POST", "/orders/{id}/cancel", Anyone),
    ("GET", "/admin/orders", Staff),
    ("PUT", "/admin/shipping-zones/{zone_id}", Admin),
    ("GET", "/admin/shipping-zones", Admin),
    ("DELETE", "/admin/shipping-zones/{zone_id}", Admin),
    ("PUT", "/admin/tax-rates/{region}", Admin),
    ("GET", "/admin/tax-rates", Admin),
    ("DELETE", "/admin/tax-rates/{region}", Admin),
    ("PUT", "/admin/settings", Admin),
    ("POST", "/admin/discounts", Admin),
    ("GET", "/admin/discounts", Admin),
    ("PATCH", "/admin/discounts/{code}", Admin),
    ("POST", "/admin/orders/{id}/ship", Staff),
    ("POST", "/admin/orders/{id}/deliver", Staff),
    ("POST", "/admin/orders/{id}/refunds", Admin),
    ("GET", "/admin/orders/{id}/timeline", Staff),
    ("POST", "/orders/{id}/returns", SignedIn),
    ("GET", "/admin/returns", Staff),
    ("POST", "/admin/returns/{id}/receive", Staff),
    ("POST", "/admin/returns/{id}/reject", Staff),
    ("GET", "/admin/customers", Staff),
    ("GET", "/admin/customers/{id}", Staff),
    ("GET", "/admin/audit", Admin),
    ("POST", "/payments/stripe/webhook", Anyone),
    ("POST", "/contact", Anyone),
    ("GET", "/admin/messages", Staff),
    ("GET", "/admin/stats", Admin),
    ("GET", "/admin/reports/{date}", Admin),
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

/// Who may use the route of API Gateway's `route_key` (`"POST /admin/orders/{id}/ship"`);
/// `None` for a route the table does not hold.
pub fn access(route_key: &str) -> Option<Access> {
    let (method, template) = route_key.split_once(' ')?;
    ROUTES
        .iter()
        .find(|(m, t, _)| *m == method && *t == template)
        .map(|(_, _, access)| *access)
}

/// The methods the routes allow on `path`; empty when no route has that path.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    let mut methods: Vec<&'static str> = ROUTES
        .iter()
        .filter(|(_, template, _)| path_matches(template, path))
        .map(|(method, _, _)| *method)
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
    fn every_admin_path_is_for_the_shop_and_money_is_for_admins() {
        for (method, path, access) in ROUTES {
            if path.starts_with("/admin/") {
                assert!(matches!(access, Staff | Admin), "{method} {path}");
            }
            if path.contains("refunds") || path.contains("role") || path.contains("discounts") {
                assert_eq!(*access, Admin, "{method} {path}");
            }
        }
        assert_eq!(access("POST /admin/orders/{id}/ship"), Some(Staff));
        assert_eq!(access("POST /admin/orders/{id}/refunds"), Some(Admin));
        assert_eq!(access("GET /products"), Some(Anyone));
        assert_eq!(access("GET /nowhere"), None);
        assert_eq!(access("$default"), None);
    }

    #[test]
    fn methods_of_one_path_are_gathered() {
        assert_eq!(allowed_methods("/me"), vec!["GET", "PATCH"]);
        assert_eq!(allowed_methods("/admin/users/01J/role"), vec!["POST"]);
    }
}
