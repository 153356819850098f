//! Stripe's webhook signature scheme: the `Stripe-Signature` header carries `t=<unix time>` and
//! one or more `v1=<hex>` (several while a secret is being rolled), each an HMAC-SHA256 of
//! `"<t>.<raw body>"` keyed with the endpoint's secret. A payload is accepted when any `v1`
//! matches (compared in constant time) and `t` is within the tolerance of now, so a captured
//! request cannot be replayed later. Checked against the official `stripe` npm package's
//! `webhooks.generateTestHeaderString` in `tests/integration/billing.rs`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signature's time may be from ours (Stripe's libraries use 5 minutes).
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header, or one without t= and v1=")]
    Malformed,
    #[error("no v1 signature matches the payload")]
    Mismatch,
    #[error("the signature's time is outside the tolerance")]
    Stale,
}

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// Checks `header` for `payload` at `now` (unix seconds).
pub fn verify(payload: &[u8], header: &str, secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => candidates.push(value),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(SignatureError::Malformed);
    };
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret, timestamp, payload);
    let matches = candidates.iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|bytes| expected.clone().verify_slice(&bytes).is_ok())
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// A `Stripe-Signature` header for `payload` signed at `timestamp` (the stand-in server and
/// tests sign with it; Stripe signs real deliveries).
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let digest = mac(secret, timestamp, payload).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn a_signed_payload_is_accepted_within_the_tolerance() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = sign(payload, SECRET, 1_700_000_000);
        assert_eq!(verify(payload, &header, SECRET, 1_700_000_000), Ok(()));
        assert_eq!(verify(payload, &header, SECRET, 1_700_000_299), Ok(()));
        assert_eq!(
            verify(payload, &header, SECRET, 1_700_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(payload, &header, SECRET, 1_699_999_600),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn a_tampered_payload_another_secret_or_a_bad_header_is_refused() {
        let payload = br#"{"id":"evt_1"}"#;
        let header = sign(payload, SECRET, 1_700_000_000);
        assert_eq!(
            verify(br#"{"id":"evt_2"}"#, &header, SECRET, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(payload, &header, "whsec_other", 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        for bad in ["", "t=1700000000", "v1=abcd", "garbage", "t=x,v1=00"] {
            assert_eq!(
                verify(payload, bad, SECRET, 1_700_000_000),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        // While a secret is rolled, Stripe sends a v1 per secret: any match will do.
        let rolled = format!("{header},v1={}", "0".repeat(64));
        assert_eq!(verify(payload, &rolled, SECRET, 1_700_000_000), Ok(()));
        let with_scheme_zero = format!("{header},v0=ignored");
        assert_eq!(
            verify(payload, &with_scheme_zero, SECRET, 1_700_000_000),
            Ok(())
        );
    }

    #[test]
    fn the_signature_is_stripes_documented_hmac() {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{}"), computed independently with
        // `printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test_secret`.
        assert_eq!(
            sign(b"{}", SECRET, 1_700_000_000),
            format!("t=1700000000,v1={}", EXPECTED_EMPTY_OBJECT)
        );
    }

    const EXPECTED_EMPTY_OBJECT: &str =
        "ceb8863f7208fa249a6cd8f951e993c7563412aca65866f6272283debe143ab3";
}
