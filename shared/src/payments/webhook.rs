//! Stripe's webhook signature: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`,
//! each `v1` the hex HMAC-SHA256 of `"<t>.<raw body>"` under a webhook secret. Any listed `v1`
//! may match any of the secrets tried (the current one and, during a rotation, the previous);
//! `t` must be within the tolerance of now. The comparison is the MAC's own constant-time one.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::env::SecretSource;
use crate::secrets::SecretError;

/// How far `t` may be from now, either way.
pub const TOLERANCE_SECONDS: i64 = 300;
/// The most `v1` signatures a header may list (Stripe lists one per active secret).
pub const MAX_SIGNATURES: usize = 8;
/// The longest header read (a timestamp and a few 64-digit signatures fit many times over).
pub const MAX_HEADER_BYTES: usize = 1024;

/// Why a delivery is refused (the webhook answers 400 to all of them alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    Stale,
    NoMatch,
}

impl SignatureError {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "no Stripe-Signature header",
            Self::Malformed => "the Stripe-Signature header is not t=...,v1=...",
            Self::Stale => "the signature's time is outside the tolerance",
            Self::NoMatch => "no signature matches the body",
        }
    }
}

/// Checks `header` against the raw `body` with each of `secrets`.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[&str],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (name, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match name {
            "t" => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                )
            }
            "v1" => {
                let signature = decode_hex(value).filter(|mac| mac.len() == 32);
                signatures.push(signature.ok_or(SignatureError::Malformed)?);
                if signatures.len() > MAX_SIGNATURES {
                    return Err(SignatureError::Malformed);
                }
            }
            // Other schemes (`v0`, test-mode extras) are not ours to check.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // `abs_diff`: a `t` at either end of the range is stale, not an overflow.
    if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        for signature in &signatures {
            let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
                continue;
            };
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            if mac.verify_slice(signature).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::NoMatch)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The secret `STRIPE_WEBHOOK_SECRET_ARN` names: `{"current": ..., "previous": ...}`.
#[derive(Clone, Deserialize)]
struct SecretPair {
    current: String,
    #[serde(default)]
    previous: Option<String>,
}

impl SecretPair {
    fn all(&self) -> Vec<&str> {
        std::iter::once(self.current.as_str())
            .chain(self.previous.as_deref())
            .collect()
    }
}

/// How often a function may read the secret again because a delivery matched none of its
/// secrets: often enough that a rotation takes effect at once, rarely enough that forged
/// deliveries cannot turn into a stream of Secrets Manager reads.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

struct Cached {
    secrets: SecretPair,
    read_at: std::time::Instant,
}

/// The webhook's signing secrets: the current one and, during a rotation, the previous one.
/// Read at cold start; a delivery that matches neither makes the function read the secret
/// again (at most once per [`REFRESH_EVERY`]), so a rotation needs no new processes.
pub struct WebhookSecrets {
    source: SecretSource,
    cached: tokio::sync::Mutex<Cached>,
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecrets(..)")
    }
}

impl WebhookSecrets {
    /// The secrets `source` holds, read now.
    pub async fn load(source: SecretSource) -> Result<Self, SecretError> {
        let secrets = Self::read(&source).await?;
        Ok(Self {
            source,
            cached: tokio::sync::Mutex::new(Cached {
                secrets,
                read_at: std::time::Instant::now(),
            }),
        })
    }

    async fn read(source: &SecretSource) -> Result<SecretPair, SecretError> {
        let pair: SecretPair = source.read_json().await?;
        if pair.current.is_empty() {
            return Err(SecretError::Invalid(
                source.arn().to_owned(),
                "`current` is empty",
            ));
        }
        Ok(pair)
    }

    /// Checks a delivery's signature (see [`verify`]), reading the secret again once if
    /// nothing matches.
    pub async fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let mut cached = self.cached.lock().await;
        let first = verify(header, body, &cached.secrets.all(), now);
        let may_have_rotated = self.source.can_change()
            && first == Err(SignatureError::NoMatch)
            && cached.read_at.elapsed() >= REFRESH_EVERY;
        if !may_have_rotated {
            return first;
        }
        cached.read_at = std::time::Instant::now();
        match Self::read(&self.source).await {
            Ok(secrets) => cached.secrets = secrets,
            Err(err) => {
                tracing::warn!(error = %crate::error::cause_chain(&err), "webhook secret not read again");
                return first;
            }
        }
        verify(header, body, &cached.secrets.all(), now)
    }
}

/// The parts of a Stripe event the shop acts on.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: EventObject,
}

/// A PaymentIntent (`payment_intent.*`) or a Charge (`charge.refunded`): the fields of both that
/// matter here.
#[derive(Debug, Clone, Deserialize)]
pub struct EventObject {
    /// Empty when the event's object has none: such an event names no payment of ours, and is
    /// acknowledged and ignored.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// `null` or absent: the object names no order.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// A charge's PaymentIntent.
    #[serde(default)]
    pub payment_intent: Option<String>,
    /// A charge's refunded total.
    #[serde(default)]
    pub amount_refunded: Option<i64>,
    /// A charge's refunds, when the event lists them (`charge.refunds.data`).
    #[serde(default)]
    pub refunds: Option<RefundList>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RefundList {
    #[serde(default)]
    pub data: Vec<ListedRefund>,
}

/// A refund as a charge lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct ListedRefund {
    pub id: String,
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub order_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
                panic!("any key length works for HMAC");
            });
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    const NOW: i64 = 1_795_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    #[test]
    fn a_genuine_signature_passes_with_the_current_or_the_previous_secret() {
        let header = format!("t={NOW},v1={}", sign("whsec_old", NOW, BODY));
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_new", "whsec_old"], NOW),
            Ok(())
        );
        let header = format!(
            "t={NOW},v1={},v1={}",
            "00".repeat(32),
            sign("whsec_new", NOW, BODY)
        );
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_new"], NOW + 299),
            Ok(())
        );
    }

    #[test]
    fn forged_stale_altered_and_missing_signatures_are_refused() {
        let good = sign("whsec_new", NOW, BODY);
        let header = format!("t={NOW},v1={good}");
        let secrets = ["whsec_new"];
        assert_eq!(
            verify(None, BODY, &secrets, NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(Some(&header), b"{\"id\":\"evt_2\"}", &secrets, NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, &["whsec_other"], NOW),
            Err(SignatureError::NoMatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, &secrets, NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), BODY, &secrets, NOW - 301),
            Err(SignatureError::Stale)
        );
        let moved = format!("t={},v1={good}", NOW + 1);
        assert_eq!(
            verify(Some(&moved), BODY, &secrets, NOW),
            Err(SignatureError::NoMatch)
        );
        for bad in [
            "",
            "t=abc,v1=00",
            &format!("t={NOW}"),
            &format!("t={NOW},v1=zz"),
            "v1=00",
        ] {
            assert_eq!(
                verify(Some(bad), BODY, &secrets, NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            verify(Some(&header), BODY, &[""], NOW),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn a_time_at_the_ends_of_the_range_is_stale_not_a_panic() {
        let v1 = "00".repeat(32);
        for t in [i64::MIN, i64::MAX, -1] {
            let header = format!("t={t},v1={v1}");
            assert_eq!(
                verify(Some(&header), BODY, &["whsec_new"], NOW),
                Err(SignatureError::Stale),
                "t={t}"
            );
        }
    }

    #[test]
    fn a_header_too_long_or_with_too_many_signatures_is_malformed() {
        let good = sign("whsec_new", NOW, BODY);
        let many = format!(
            "t={NOW},{}",
            vec![format!("v1={good}"); MAX_SIGNATURES + 1].join(",")
        );
        assert_eq!(
            verify(Some(&many), BODY, &["whsec_new"], NOW),
            Err(SignatureError::Malformed)
        );
        let long = format!("t={NOW},v1={good},v0={}", "0".repeat(MAX_HEADER_BYTES));
        assert_eq!(
            verify(Some(&long), BODY, &["whsec_new"], NOW),
            Err(SignatureError::Malformed)
        );
        // A v1 that is not a SHA-256 (64 hex digits) is no signature of ours.
        let short = format!("t={NOW},v1=00");
        assert_eq!(
            verify(Some(&short), BODY, &["whsec_new"], NOW),
            Err(SignatureError::Malformed)
        );
        let allowed = format!(
            "t={NOW},{}",
            vec![format!("v1={good}"); MAX_SIGNATURES].join(",")
        );
        assert_eq!(verify(Some(&allowed), BODY, &["whsec_new"], NOW), Ok(()));
    }

    #[test]
    fn an_object_without_an_id_or_with_null_metadata_still_parses_and_names_no_order() {
        let no_id: Event = serde_json::from_str(
            r#"{"id": "evt_1", "type": "payment_intent.succeeded",
                "data": {"object": {"amount": 700, "metadata": {"order_id": "x"}}}}"#,
        )
        .unwrap();
        assert_eq!(no_id.data.object.id, "");
        let null_metadata: Event = serde_json::from_str(
            r#"{"id": "evt_2", "type": "payment_intent.succeeded",
                "data": {"object": {"id": "pi_1", "metadata": null}}}"#,
        )
        .unwrap();
        assert!(null_metadata.data.object.metadata.is_none());
    }
}
