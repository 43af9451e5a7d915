//! AWS clients, built once at cold start and shared by every invocation, and what the project's
//! tools need to reach the local stand-ins the same way.
//!
//! `aws-config` reads credentials, the region and the endpoints from the environment. Locally
//! the runner sets `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL` and the like to point the
//! clients at the stand-ins; nothing else in a function knows it is not on AWS.

use aws_config::{BehaviorVersion, Region, SdkConfig};

use crate::config::Config;

/// The roots AWS's service endpoints chain to (Amazon Root CA 1–4 and Starfield Services Root
/// G2, as Debian's ca-certificates ships them), compiled in.
const AMAZON_ROOTS: &[u8] = include_bytes!("../certs/amazon-roots.pem");

/// The shared SDK configuration, from the environment, as Lambda sets it: credentials from
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, the region from
/// `AWS_REGION`, TLS trusting only the Amazon roots.
///
/// Measured with callgrind on `ProductsGetFunction`: the default provider chain builds an STS
/// client for web-identity credentials at load, and the first HTTPS connector parses every
/// certificate in the system's store; together 18.4 M of the 22.8 M instructions the function
/// spent to start and answer once.
pub async fn sdk_config() -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
        .region(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .http_client(http_client());
    let name = std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok();
    match name.as_deref().and_then(app_name) {
        Some(app) => loader.app_name(app),
        None => loader,
    }
    .load()
    .await
}

/// The function's name as the SDK's app name, which every AWS call's `User-Agent` carries
/// (`app/<name>`): CloudTrail then says which function made a call, and the local fault door
/// which function it affects. The SDK advises at most 50 characters; a longer name is cut.
fn app_name(function: &str) -> Option<aws_config::AppName> {
    let cut: String = function.chars().take(50).collect();
    aws_config::AppName::new(cut).ok()
}

/// The HTTP client of every SDK client: hyper on rustls with ring, trusting the Amazon roots.
/// The SDK crates are built without their default client (rustls on aws-lc-rs), so this is the
/// only one there is.
fn http_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_ROOTS);
    let builder = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring));
    // The context is built from constants; should it ever fail, no root is trusted and every
    // HTTPS call fails, which the functions answer with 503.
    match TlsContext::builder().with_trust_store(trust).build() {
        Ok(context) => builder.tls_context(context).build_https(),
        Err(_) => builder.build_https(),
    }
}

/// The SDK configuration of the local stand-in at `endpoint` (the runner, the tests and the
/// benchmark use it): fixed local credentials and region, no environment read.
pub async fn local_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .http_client(http_client())
        .load()
        .await
}

/// An S3 client. With an endpoint override (a local stand-in) it addresses buckets by path:
/// virtual-host addressing would ask DNS for `<bucket>.127.0.0.1`.
pub fn s3(sdk: &SdkConfig, config: &Config) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(config.s3_endpoint.is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

/// An S3 client of a local stand-in, by path.
pub fn local_s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Decodes an object key as S3 events carry it: `+` is a space, `%XX` a byte.
pub fn decode_s3_key(key: &str) -> Option<String> {
    crate::percent::decode(key, crate::percent::Plus::Space)
}

#[cfg(test)]
mod tests {
    use super::{app_name, decode_s3_key};

    #[test]
    fn the_function_name_is_the_app_name() {
        let long = format!("storefront-production-{}", "OrdersCreateFunction".repeat(3));
        let named = |name: &str| app_name(name).map(|a| a.to_string());
        assert_eq!(
            named("OrdersCreateFunction").as_deref(),
            Some("OrdersCreateFunction")
        );
        assert_eq!(named(&long).map(|n| n.len()), Some(50));
        assert_eq!(named(""), None);
        assert_eq!(named("not a name"), None);
    }

    #[test]
    fn event_keys_are_form_decoded() {
        assert_eq!(
            decode_s3_key("incoming%2F01J+a").as_deref(),
            Some("incoming/01J a")
        );
        assert_eq!(decode_s3_key("bad%zz"), None);
    }
}
