//! Logging: one line per event, JSON on Lambda, with the request id on every line.
//!
//! Honours Lambda's own variables, which the template sets through `LoggingConfig`:
//! `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`) and `AWS_LAMBDA_LOG_LEVEL` (`TRACE` … `FATAL`).
//! `RUST_LOG`, when set, takes precedence as a full filter for debugging. Otherwise the AWS SDK,
//! hyper and rustls log at WARN at most, whatever the function's level: at DEBUG and TRACE the
//! SDK writes request and response bodies, and those hold items (password hashes included).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|l| lambda_level(&l))
        .unwrap_or("info");
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_directives(level)));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .map(|f| f.eq_ignore_ascii_case("json"))
        .unwrap_or(true);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_ansi(false);
    // A second `init` (in tests) keeps the first subscriber; that is fine.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The function's level for its own code; at most WARN for the libraries that could log bodies.
fn default_directives(level: &str) -> String {
    let libraries = if matches!(level, "error") {
        "error"
    } else {
        "warn"
    };
    format!("{level},aws={libraries},hyper={libraries},h2={libraries},rustls={libraries}")
}

/// Maps Lambda's level names to `tracing` ones (`FATAL` has no equivalent: it means `error`).
fn lambda_level(level: &str) -> &'static str {
    match level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "info",
    }
}

#[cfg(test)]
mod tests {
    use super::lambda_level;

    #[test]
    fn libraries_stay_at_warn_when_the_function_traces() {
        let directives = super::default_directives("trace");
        assert!(directives.starts_with("trace,"));
        assert!(directives.contains("aws=warn") && directives.contains("hyper=warn"));
        assert!(super::default_directives("error").contains("aws=error"));
        // `aws` covers every SDK crate: a directive's target is a prefix of the module path.
        let filter = tracing_subscriber::EnvFilter::new(directives);
        assert!(filter.to_string().contains("aws=warn"));
    }

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_level("FATAL"), "error");
        assert_eq!(lambda_level("debug"), "debug");
        assert_eq!(lambda_level("nonsense"), "info");
    }
}
