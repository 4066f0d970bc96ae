//! Signatures that let a receiver trust a delivery.
//!
//! - Standard Webhooks 1.0: `webhook-signature: v1,<base64 HMAC-SHA256 over "id.timestamp.body">`
//!   with the secret's bytes (the part after `whsec_`, base64); several signatures,
//!   space-separated, while a rotated secret is still honoured.
//! - DingTalk robots: `timestamp` (milliseconds) and `sign` = URL-encoded base64 HMAC-SHA256 of
//!   `timestamp + "\n" + secret` keyed by the secret, as query parameters.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new secret: 24 random bytes, `whsec_` and base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    format!("{SECRET_PREFIX}{}", BASE64.encode(bytes))
}

/// The key bytes of a secret, or why it is not one: `whsec_` and base64 of 24-64 bytes.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, &'static str> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or("must start with whsec_")?;
    let key = BASE64
        .decode(encoded)
        .map_err(|_| "must be whsec_ and base64")?;
    if !(24..=64).contains(&key.len()) {
        return Err("must hold 24-64 bytes");
    }
    Ok(key)
}

fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    BASE64.encode(mac.finalize().into_bytes())
}

/// The `webhook-signature` value for `body` sent as `id` at `timestamp` (seconds), one `v1,`
/// signature per secret.
pub fn standard_signature(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    let signed = format!("{id}.{timestamp}.{body}");
    secrets
        .iter()
        .filter_map(|secret| secret_key(secret).ok())
        .map(|key| format!("v1,{}", hmac_base64(&key, signed.as_bytes())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `timestamp` and `sign` query parameters DingTalk checks, for `timestamp_ms`.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let signature = hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    );
    form_urlencoded::byte_serialize(signature.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_base64() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret_key(&secret).unwrap().len(), 24);
        assert!(secret_key("whsec_notbase64!").is_err());
        assert!(secret_key("plain").is_err());
        assert!(secret_key(&format!("whsec_{}", BASE64.encode([1u8; 8]))).is_err());
    }

    #[test]
    fn the_signature_is_the_specifications() {
        // The test vector of the Standard Webhooks reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let signature = standard_signature(&[secret], id, 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let two = standard_signature(&[secret, &new_secret()], id, 1, body);
        assert_eq!(two.split(' ').count(), 2);
    }

    #[test]
    fn dingtalk_signs_timestamp_and_secret() {
        let sign = dingtalk_sign("SEC123", 1_700_000_000_000);
        assert!(
            !sign.contains('+') && !sign.contains('/') && !sign.contains('='),
            "{sign}"
        );
        assert!(sign.ends_with("%3D"), "{sign}");
    }
}
