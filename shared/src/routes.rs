//! The API's route table, as the template declares it to API Gateway.
//!
//! The fallback function uses it to tell an unknown path (404) from a known path asked with the
//! wrong method (405, with `Allow`). `cargo xtask test` checks that this table and the template's
//! `HttpApi` events list exactly the same routes, so the two cannot drift apart.

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
];

/// Whether a concrete path matches a route's path template.
pub fn path_matches(template: &str, path: &str) -> bool {
    let mut pattern = template.trim_matches('/').split('/');
    let mut actual = path.trim_matches('/').split('/');
    loop {
        match (pattern.next(), actual.next()) {
            (None, None) => return true,
            (Some(p), Some(_)) if p.ends_with("+}") => return true,
            (Some(p), Some(a)) if p.starts_with('{') && p.ends_with('}') => {
                if a.is_empty() {
                    return false;
                }
            }
            (Some(p), Some(a)) if p == a => {}
            _ => return false,
        }
    }
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
