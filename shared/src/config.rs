//! Typed configuration, read once at cold start from the environment the template sets.
//!
//! Each variable is documented on the field that holds it. A missing or malformed variable
//! stops the function at start-up with an error that names it, rather than failing later on a
//! request.

use std::fmt;

/// A configuration variable that is missing or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// The settings every HTTP function shares.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins (`https://shop.example`) allowed to call
    /// the API from a browser, or `*` for any. Empty: no browser origin is allowed.
    pub cors: Cors,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let origins = lookup("CORS_ALLOWED_ORIGINS").unwrap_or_default();
        Ok(Self {
            cors: Cors::parse(&origins).map_err(|reason| ConfigError::Invalid {
                name: "CORS_ALLOWED_ORIGINS",
                reason,
            })?,
        })
    }
}

/// Reads a variable that must be set.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// Reads a variable that may be unset, with its default.
pub fn optional_string(name: &'static str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Reads a whole number that may be unset, with its default; a malformed one is an error.
pub fn optional_number(name: &'static str, default: i64) -> Result<i64, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("`{value}` is not a whole number"),
            })
        }
        _ => Ok(default),
    }
}

/// Which browser origins may call the API.
#[derive(Clone, PartialEq, Eq)]
pub enum Cors {
    Any,
    Origins(Vec<String>),
}

impl fmt::Debug for Cors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("*"),
            Self::Origins(list) => f.write_str(&list.join(",")),
        }
    }
}

impl Cors {
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value == "*" {
            return Ok(Self::Any);
        }
        let mut origins = Vec::new();
        for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
            if !scheme_ok || origin.ends_with('/') {
                return Err(format!(
                    "`{origin}` is not an origin (scheme://host[:port], no path)"
                ));
            }
            origins.push(origin.to_owned());
        }
        Ok(Self::Origins(origins))
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    pub fn allow_origin<'a>(&self, origin: Option<&'a str>) -> Option<&'a str> {
        match self {
            Self::Any => Some("*"),
            Self::Origins(list) => origin.filter(|o| list.iter().any(|allowed| allowed == o)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_listed_exactly() {
        let cors = Cors::parse("https://shop.example, http://localhost:5173").unwrap_or(Cors::Any);
        assert_eq!(
            cors.allow_origin(Some("http://localhost:5173")),
            Some("http://localhost:5173")
        );
        assert_eq!(cors.allow_origin(Some("https://evil.example")), None);
        assert_eq!(cors.allow_origin(None), None);
    }

    #[test]
    fn a_star_allows_every_origin() {
        assert_eq!(
            Cors::parse("*").map(|c| c.allow_origin(Some("https://a.b"))),
            Ok(Some("*"))
        );
    }

    #[test]
    fn a_path_is_not_an_origin() {
        let err = Config::from_lookup(|_| Some("https://shop.example/".to_owned()));
        assert!(
            matches!(
                err,
                Err(ConfigError::Invalid {
                    name: "CORS_ALLOWED_ORIGINS",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn no_variable_allows_no_origin() {
        let config = Config::from_lookup(|_| None).map(|c| c.cors);
        assert_eq!(config.ok(), Some(Cors::Origins(vec![])));
    }
}
