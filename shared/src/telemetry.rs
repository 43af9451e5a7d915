//! Logging: one line per event, JSON on Lambda, with the request id on every line.
//!
//! Honours Lambda's own variables, which the template sets through `LoggingConfig`:
//! `AWS_LAMBDA_LOG_FORMAT` (`JSON` or `Text`) and `AWS_LAMBDA_LOG_LEVEL` (`TRACE` … `FATAL`).
//! `RUST_LOG`, when set, takes precedence for debugging (`level` and `target=level` directives;
//! a value that does not parse is ignored). Otherwise the AWS SDK,
//! hyper and rustls log at WARN at most, whatever the function's level: at DEBUG and TRACE the
//! SDK writes request and response bodies, and those hold items (password hashes included).

use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;

/// Installs the global subscriber. Call once, first thing in `main`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|l| lambda_level(&l))
        .unwrap_or("info");
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| default_targets(level));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .map(|f| f.eq_ignore_ascii_case("json"))
        .unwrap_or(true);
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .with_ansi(false);
    // A second `init` (in tests) keeps the first subscriber; that is fine.
    let _ = if json {
        let subscriber = builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .finish();
        tracing::subscriber::set_global_default(filter.with_subscriber(subscriber))
    } else {
        tracing::subscriber::set_global_default(filter.with_subscriber(builder.finish()))
    };
}

/// The function's level for its own code; at most WARN for the libraries that could log bodies.
fn default_targets(level: &str) -> Targets {
    let level: tracing::Level = level.parse().unwrap_or(tracing::Level::INFO);
    let libraries = level.min(tracing::Level::WARN);
    Targets::new()
        .with_default(level)
        .with_targets(["aws", "hyper", "h2", "rustls"].map(|target| (target, libraries)))
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
        use tracing::Level;
        let traced = super::default_targets("trace");
        assert!(traced.would_enable("storefront_fn", &Level::TRACE));
        // `aws` covers every SDK crate: a target is a prefix of the module path.
        assert!(!traced.would_enable("aws_smithy_runtime::client", &Level::DEBUG));
        assert!(traced.would_enable("aws_sdk_dynamodb", &Level::WARN));
        assert!(!traced.would_enable("hyper_util::client", &Level::INFO));
        let quiet = super::default_targets("error");
        assert!(!quiet.would_enable("aws_sdk_dynamodb", &Level::WARN));
        assert!(!quiet.would_enable("storefront_fn", &Level::WARN));
    }

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_level("FATAL"), "error");
        assert_eq!(lambda_level("debug"), "debug");
        assert_eq!(lambda_level("nonsense"), "info");
    }
}
