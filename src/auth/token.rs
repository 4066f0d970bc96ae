//! Access tokens: short-lived signed JWTs carrying the caller's id, role and scope.
//!
//! One signing key (HS256 from the secret by default; EdDSA or ES256 from a PEM key file) and
//! any number of verification keys picked by the `kid` header, so keys can be rotated without
//! signing everybody out.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::config::{Config, ConfigError};

/// The audience every access token is made for.
pub const AUDIENCE: &str = "safeloop-api";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub enterprise_id: Option<String>,
    pub region_prefix: Option<String>,
    #[serde(default)]
    pub sectors: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    pub iss: String,
    pub aud: String,
}

/// Why a presented token is refused; every case answers 401.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token was signed with an unknown key")]
    UnknownKey,
    #[error("the access token is invalid")]
    Invalid,
}

struct VerificationKey {
    algorithm: Algorithm,
    key: DecodingKey,
}

pub struct TokenKeys {
    kid: String,
    algorithm: Algorithm,
    signing: EncodingKey,
    verifying: HashMap<String, VerificationKey>,
    issuer: String,
    ttl: Duration,
}

impl TokenKeys {
    /// Builds the keys described by the configuration, reading key files if named.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let settings = &config.token;
        let (signing, verifying) = match settings.algorithm {
            Algorithm::HS256 => (
                EncodingKey::from_secret(config.token_secret_bytes()),
                DecodingKey::from_secret(config.token_secret_bytes()),
            ),
            algorithm => {
                let private = read_key(
                    settings.private_key_file.as_deref(),
                    "SAFELOOP_TOKEN_PRIVATE_KEY_FILE",
                )?;
                let public = read_key(
                    settings.public_key_file.as_deref(),
                    "SAFELOOP_TOKEN_PUBLIC_KEY_FILE",
                )?;
                pem_keys(algorithm, &private, &public)?
            }
        };
        let mut keys = TokenKeys {
            kid: settings.key_id.clone(),
            algorithm: settings.algorithm,
            signing,
            verifying: HashMap::new(),
            issuer: config.token_issuer.clone(),
            ttl: config.access_token_ttl,
        };
        keys.verifying.insert(
            settings.key_id.clone(),
            VerificationKey {
                algorithm: settings.algorithm,
                key: verifying,
            },
        );
        for extra in &settings.extra_keys {
            let key = match extra.algorithm {
                Algorithm::HS256 => DecodingKey::from_secret(extra.source.as_bytes()),
                Algorithm::EdDSA => DecodingKey::from_ed_pem(&read_key(
                    Some(&extra.source),
                    "SAFELOOP_TOKEN_EXTRA_KEYS",
                )?)
                .map_err(|e| {
                    ConfigError(format!("SAFELOOP_TOKEN_EXTRA_KEYS {}: {e}", extra.kid))
                })?,
                _ => DecodingKey::from_ec_pem(&read_key(
                    Some(&extra.source),
                    "SAFELOOP_TOKEN_EXTRA_KEYS",
                )?)
                .map_err(|e| {
                    ConfigError(format!("SAFELOOP_TOKEN_EXTRA_KEYS {}: {e}", extra.kid))
                })?,
            };
            keys.verifying.insert(
                extra.kid.clone(),
                VerificationKey {
                    algorithm: extra.algorithm,
                    key,
                },
            );
        }
        Ok(keys)
    }

    /// Seconds an access token lives.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// Signs claims for a user, valid from now for the configured lifetime.
    pub fn issue(&self, mut claims: Claims, now: i64) -> String {
        claims.iat = now;
        claims.exp = now + self.ttl.as_secs() as i64;
        claims.iss = self.issuer.clone();
        claims.aud = AUDIENCE.to_owned();
        claims.jti = uuid::Uuid::new_v4().to_string();
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.signing).expect("signing with a valid key")
    }

    /// Checks signature, algorithm, key id, expiry, issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenRejection> {
        // `alg: none` and unknown algorithms fail to parse here.
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Invalid)?;
        let kid = header.kid.ok_or(TokenRejection::UnknownKey)?;
        let key = self.verifying.get(&kid).ok_or(TokenRejection::UnknownKey)?;
        // Only the algorithm registered for this key is accepted, whatever the header says.
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = 5;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "aud", "iss"]);
        jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenRejection::Expired,
                _ => TokenRejection::Invalid,
            })
    }
}

fn read_key(path: Option<&str>, variable: &str) -> Result<Vec<u8>, ConfigError> {
    let path = path.ok_or_else(|| {
        ConfigError(format!(
            "{variable} must name a PEM key file for this algorithm"
        ))
    })?;
    std::fs::read(path).map_err(|e| ConfigError(format!("{variable}={path}: {e}")))
}

fn pem_keys(
    algorithm: Algorithm,
    private: &[u8],
    public: &[u8],
) -> Result<(EncodingKey, DecodingKey), ConfigError> {
    let bad = |e: jsonwebtoken::errors::Error| ConfigError(format!("token key files: {e}"));
    match algorithm {
        Algorithm::EdDSA => Ok((
            EncodingKey::from_ed_pem(private).map_err(bad)?,
            DecodingKey::from_ed_pem(public).map_err(bad)?,
        )),
        Algorithm::ES256 => Ok((
            EncodingKey::from_ec_pem(private).map_err(bad)?,
            DecodingKey::from_ec_pem(public).map_err(bad)?,
        )),
        other => Err(ConfigError(format!(
            "token algorithm {other:?} is not supported"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ExtraTokenKey;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn config(secret: &str) -> Config {
        let mut config = Config::for_database("sqlite://x.db", "data".into());
        config.token_secret = secret.to_owned().into();
        config
    }

    fn claims() -> Claims {
        Claims {
            sub: "u1".into(),
            role: Role::Inspector,
            enterprise_id: None,
            region_prefix: Some("360721".into()),
            sectors: vec!["hazardous_chemicals".into()],
            iat: 0,
            exp: 0,
            jti: String::new(),
            iss: String::new(),
            aud: String::new(),
        }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn issued_tokens_verify_with_their_claims() {
        let keys =
            TokenKeys::from_config(&config("a secret long enough for the test run")).unwrap();
        let token = keys.issue(claims(), now());
        let verified = keys.verify(&token).unwrap();
        assert_eq!(verified.sub, "u1");
        assert_eq!(verified.role, Role::Inspector);
        assert_eq!(verified.aud, AUDIENCE);
        assert_eq!(verified.exp - verified.iat, 900);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("primary"));
    }

    #[test]
    fn forged_and_stale_tokens_are_refused() {
        let keys =
            TokenKeys::from_config(&config("a secret long enough for the test run")).unwrap();
        let other = TokenKeys::from_config(&config("somebody else's secret entirely")).unwrap();
        assert_eq!(
            keys.verify(&other.issue(claims(), now())),
            Err(TokenRejection::Invalid)
        );
        assert_eq!(
            keys.verify(&keys.issue(claims(), now() - 3600)),
            Err(TokenRejection::Expired)
        );
        assert_eq!(keys.verify("not.a.token"), Err(TokenRejection::Invalid));

        let token = keys.issue(claims(), now());
        let payload = token.split('.').nth(1).unwrap();
        let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"primary"}"#);
        assert_eq!(
            keys.verify(&format!("{none_header}.{payload}.")),
            Err(TokenRejection::Invalid)
        );

        // HS384 with the right secret: the algorithm is not the key's.
        let mut header = Header::new(Algorithm::HS384);
        header.kid = Some("primary".into());
        let mut c = keys.verify(&token).unwrap();
        let forged = jsonwebtoken::encode(
            &header,
            &c,
            &EncodingKey::from_secret(b"a secret long enough for the test run"),
        )
        .unwrap();
        assert_eq!(keys.verify(&forged), Err(TokenRejection::Invalid));

        c.aud = "another-service".into();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("primary".into());
        let wrong_audience = jsonwebtoken::encode(
            &header,
            &c,
            &EncodingKey::from_secret(b"a secret long enough for the test run"),
        )
        .unwrap();
        assert_eq!(keys.verify(&wrong_audience), Err(TokenRejection::Invalid));
    }

    /// A throwaway Ed25519 key pair made for this test only.
    const ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAmU89HY1oi4EiSdWADqqjgQKOtjMKFDFcAv+eejsZLI\n-----END PRIVATE KEY-----\n";
    const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEARy6S/vUeoFjNDW3mIwrf98h0Td0fpQ+vuNRgf10V3y8=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn eddsa_keys_from_files_sign_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("token.pem");
        let public = dir.path().join("token.pub.pem");
        std::fs::write(&private, ED25519_PRIVATE).unwrap();
        std::fs::write(&public, ED25519_PUBLIC).unwrap();
        let mut eddsa = config("unused for EdDSA but present");
        eddsa.token.algorithm = Algorithm::EdDSA;
        eddsa.token.private_key_file = Some(private.display().to_string());
        eddsa.token.public_key_file = Some(public.display().to_string());
        let keys = TokenKeys::from_config(&eddsa).unwrap();
        let token = keys.issue(claims(), now());
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().alg,
            Algorithm::EdDSA
        );
        assert_eq!(keys.verify(&token).unwrap().sub, "u1");

        // An HS256 token signed with the public key's bytes (the classic confusion) fails.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("primary".into());
        let confused = jsonwebtoken::encode(
            &header,
            &claims(),
            &EncodingKey::from_secret(ED25519_PUBLIC.as_bytes()),
        )
        .unwrap();
        assert_eq!(keys.verify(&confused), Err(TokenRejection::Invalid));

        eddsa.token.private_key_file = None;
        assert!(
            TokenKeys::from_config(&eddsa).is_err(),
            "EdDSA without a key file is refused"
        );
    }

    #[test]
    fn rotated_keys_keep_old_tokens_valid() {
        let old = TokenKeys::from_config(&config("the old secret, still trusted")).unwrap();
        let old_token = old.issue(claims(), now());
        let mut rotated = config("the new secret, now signing");
        rotated.token.key_id = "k2".into();
        assert_eq!(
            TokenKeys::from_config(&rotated).unwrap().verify(&old_token),
            Err(TokenRejection::UnknownKey)
        );
        rotated.token.extra_keys = vec![ExtraTokenKey {
            kid: "primary".into(),
            algorithm: Algorithm::HS256,
            source: "the old secret, still trusted".into(),
        }];
        let keys = TokenKeys::from_config(&rotated).unwrap();
        assert_eq!(keys.verify(&old_token).unwrap().sub, "u1");
        let new_token = keys.issue(claims(), now());
        assert_eq!(old.verify(&new_token), Err(TokenRejection::UnknownKey));
    }
}
