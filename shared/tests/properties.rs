//! Property tests of what parses untrusted input and of the order rules: for any input the
//! generators make, a parser either returns the value it was given or refuses, and never
//! panics; the order state machine never gives stock back twice nor refunds what was not paid.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use shared::auth::Role;
use shared::auth::jwt::{SigningKey, TokenIssuer};
use shared::cursor::CursorCodec;
use shared::orders::state::{Action, Actor, OrderStatus, next};
use shared::payments::webhook::{self, SignatureError, TOLERANCE_SECONDS};

const NOW: i64 = 1_795_000_000;

fn codec() -> CursorCodec {
    CursorCodec::new(&[7u8; 32]).unwrap()
}

fn issuer() -> TokenIssuer {
    let key =
        SigningKey::new("k1", b"property-test-signing-key-0123456789abcdef".to_vec()).unwrap();
    TokenIssuer::new(key, None, "storefront", "storefront-api", 900)
}

fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!(
        "t={t},v1={}",
        shared::auth::tokens::hex(&mac.finalize().into_bytes())
    )
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        Just(Action::Pay),
        Just(Action::Ship),
        Just(Action::Deliver),
        Just(Action::Cancel(Actor::Owner)),
        Just(Action::Cancel(Actor::Shop)),
        Just(Action::Expire),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A cursor gives back exactly its position, only in its own listing, and any other text
    /// (a garbled cursor, one character changed) is refused without a panic.
    #[test]
    fn a_cursor_opens_to_its_position_and_nothing_else_opens(
        position in (any::<String>(), any::<u64>()),
        scope in "[a-z:]{1,20}",
        other_scope in "[a-z:]{1,20}",
        garbage in any::<String>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let codec = codec();
        let cursor = codec.encode(&scope, &position, NOW).unwrap();
        prop_assert_eq!(&codec.decode::<(String, u64)>(&scope, &cursor, NOW).unwrap(), &position);
        if other_scope != scope {
            prop_assert!(codec.decode::<(String, u64)>(&other_scope, &cursor, NOW).is_err());
        }
        prop_assert!(codec.decode::<(String, u64)>(&scope, &garbage, NOW).is_err());
        let mut bytes = cursor.clone().into_bytes();
        let at = flip.index(bytes.len());
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let changed = String::from_utf8(bytes).unwrap();
        // Base64's last character can carry unused bits: a change there may decode to the same
        // bytes, and then the cursor is the same cursor.
        let decoded = codec.decode::<(String, u64)>(&scope, &changed, NOW);
        prop_assert!(decoded.is_err() || decoded.unwrap() == position);
        // A cursor lives a day.
        prop_assert!(codec.decode::<(String, u64)>(&scope, &cursor, NOW + 86_400).is_err());
    }

    /// A token verifies to what was issued; any other string, or the token with one character
    /// changed, is refused.
    #[test]
    fn a_token_verifies_to_its_claims_and_nothing_else_verifies(
        subject in "[0-9A-Z]{26}",
        admin in any::<bool>(),
        garbage in any::<String>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let issuer = issuer();
        let role = if admin { Role::Admin } else { Role::Customer };
        let token = issuer.issue(&subject, role, NOW);
        let claims = issuer.verifier().verify(&token, NOW + 1).unwrap();
        prop_assert_eq!(&claims.sub, &subject);
        prop_assert_eq!(claims.role, role);
        // Past its 15 minutes and the 30 s of clock skew allowed.
        prop_assert!(issuer.verifier().verify(&token, NOW + 900 + 30).is_err());
        prop_assert!(issuer.verifier().verify(&token, NOW + 900 + 29).is_ok());
        prop_assert!(issuer.verifier().verify(&garbage, NOW).is_err());
        let mut bytes = token.clone().into_bytes();
        let at = flip.index(bytes.len());
        bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
        let changed = String::from_utf8(bytes).unwrap();
        if changed != token {
            let verified = issuer.verifier().verify(&changed, NOW + 1);
            // The signature's last base64 character carries unused bits.
            prop_assert!(verified.is_err() || verified.unwrap() == claims);
        }
    }

    /// A delivery verifies with its secret within the tolerance; a changed body, another
    /// secret or an old timestamp does not; any header text is refused without a panic.
    #[test]
    fn a_webhook_signature_holds_for_its_body_only(
        body in prop::collection::vec(any::<u8>(), 0..512),
        secret in "whsec_[A-Za-z0-9]{8,40}",
        other in "whsec_[A-Za-z0-9]{8,40}",
        skew in -TOLERANCE_SECONDS..=TOLERANCE_SECONDS,
        late in (TOLERANCE_SECONDS + 1)..100_000i64,
        header in any::<String>(),
        at in any::<prop::sample::Index>(),
    ) {
        let t = NOW + skew;
        let signature = sign(&secret, t, &body);
        prop_assert_eq!(webhook::verify(Some(signature.as_str()), &body, &[&secret], NOW), Ok(()));
        if other != secret {
            prop_assert_eq!(
                webhook::verify(Some(signature.as_str()), &body, &[&other], NOW),
                Err(SignatureError::NoMatch)
            );
        }
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = at.index(changed.len());
            changed[i] ^= 1;
            prop_assert_eq!(
                webhook::verify(Some(signature.as_str()), &changed, &[&secret], NOW),
                Err(SignatureError::NoMatch)
            );
        }
        let old = sign(&secret, NOW - late, &body);
        prop_assert_eq!(
            webhook::verify(Some(old.as_str()), &body, &[&secret], NOW),
            Err(SignatureError::Stale)
        );
        prop_assert!(webhook::verify(Some(header.as_str()), &body, &[&secret], NOW).is_err());
    }

    /// Whatever moves are asked of an order, in any order: its units go back to stock at most
    /// once, money is refunded only after it was paid, and a final state stays final.
    #[test]
    fn an_order_gives_its_stock_back_at_most_once_and_refunds_only_what_was_paid(
        actions in prop::collection::vec(action(), 0..20),
    ) {
        let mut status = OrderStatus::PendingPayment;
        let (mut returned, mut paid, mut refunded) = (0, false, false);
        for action in actions {
            let was_final = matches!(
                status,
                OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Expired
            );
            let Ok(moved) = next(status, action) else {
                continue;
            };
            prop_assert!(!was_final, "{status:?} moved on {action:?}");
            prop_assert_eq!(moved.from, status);
            returned += i32::from(moved.returns_stock);
            refunded |= moved.refunds;
            prop_assert!(!moved.refunds || paid, "refund of an unpaid order");
            paid |= moved.to == OrderStatus::Paid;
            status = moved.to;
        }
        prop_assert!(returned <= 1);
        prop_assert!(!refunded || paid);
        // Stock comes back exactly when the order ended without being sent.
        prop_assert_eq!(
            returned == 1,
            matches!(status, OrderStatus::Cancelled | OrderStatus::Expired)
        );
    }

    /// Quantities and prices are whole numbers in range, written as JSON integers or as
    /// integral floats (`903.0`); anything else is refused.
    #[test]
    fn whole_numbers_parse_in_either_json_form_and_only_in_range(
        n in -1_000i64..200_000_000,
        fraction in 0.01f64..0.99,
    ) {
        use shared::catalog::model::Cents;
        use shared::orders::model::Quantity;
        let as_int = serde_json::from_str::<Quantity>(&n.to_string());
        let as_float = serde_json::from_str::<Quantity>(&format!("{n}.0"));
        let in_range = (1..=Quantity::MAX).contains(&n);
        prop_assert_eq!(as_int.as_ref().ok().map(|q| q.get()), in_range.then_some(n));
        prop_assert_eq!(as_float.as_ref().ok().map(|q| q.get()), in_range.then_some(n));
        let cents = serde_json::from_str::<Cents>(&n.to_string()).ok().map(Cents::get);
        prop_assert_eq!(cents, (0..=Cents::MAX).contains(&n).then_some(n));
        let fractional = format!("{}", n as f64 + fraction);
        prop_assert!(serde_json::from_str::<Quantity>(&fractional).is_err());
        prop_assert!(serde_json::from_str::<Cents>(&fractional).is_err());
        let quoted = format!("\"{n}\"");
        prop_assert!(serde_json::from_str::<Quantity>(&quoted).is_err());
    }
}
