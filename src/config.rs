//! Typed configuration read from environment variables, with every default in code.
//!
//! The table in README.md lists the same names and defaults; keep them together.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The signing secret used when none is configured. Refused in production.
pub const DEVELOPMENT_TOKEN_SECRET: &str = "safeloop-development-secret-do-not-use-in-production";

/// Shortest signing secret accepted in production (bytes); HS256 wants at least 256 bits.
pub const MIN_PRODUCTION_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// How access tokens are signed and which other keys still verify.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `HS256` (from `SAFELOOP_TOKEN_SECRET`), `EdDSA` or `ES256` (from PEM key files).
    pub algorithm: jsonwebtoken::Algorithm,
    /// The `kid` written into new tokens.
    pub key_id: String,
    pub private_key_file: Option<String>,
    pub public_key_file: Option<String>,
    /// Keys that verify but no longer sign, for rotation.
    pub extra_keys: Vec<ExtraTokenKey>,
}

/// `kid:ALG:source` in `SAFELOOP_TOKEN_EXTRA_KEYS`: a secret for HS256, a PEM public key path
/// for EdDSA and ES256.
#[derive(Debug, Clone)]
pub struct ExtraTokenKey {
    pub kid: String,
    pub algorithm: jsonwebtoken::Algorithm,
    pub source: String,
}

/// An S3-compatible photo store; present when `S3_ENDPOINT` is set.
#[derive(Debug, Clone)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Answer photo downloads with a redirect to a short-lived presigned GET, so the bytes go
    /// from the store to the client without passing through the API servers.
    pub redirect_downloads: bool,
}

impl S3Settings {
    pub fn secret_access_key(&self) -> &str {
        self.secret_access_key.expose_secret()
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://PATH`, a plain path, or `postgres://…`.
    pub database_url: String,
    pub database_pool_size: u32,
    pub token_secret: SecretString,
    pub token: TokenSettings,
    pub token_issuer: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub admin_username: String,
    pub admin_password: Option<SecretString>,
    pub log_format: LogFormat,
    /// Largest JSON request body accepted, in bytes.
    pub json_limit_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// Where photos are stored: S3 when set, else `$SAFELOOP_DATA_DIR/objects`.
    pub s3: Option<S3Settings>,
    /// Largest photo accepted, in bytes.
    pub photo_max_bytes: usize,
    /// Largest photo accepted, in pixels (width × height), checked before decoding.
    pub photo_max_pixels: u64,
    /// How much memory uploads being received or waiting for inspection may hold at once, in
    /// bytes; past it they wait in temporary files.
    pub upload_memory_bytes: usize,
    /// How far past a hazard's current deadline an extension may move it, in days.
    pub extension_max_days: i64,
    /// How long before now an inspection may have started, in days (phones that were offline
    /// for weeks still file theirs).
    pub inspection_max_age_days: i64,
    /// How long a request waits for a database connection while the database is up; while
    /// it is known to be down, requests answer 503 at once instead.
    pub db_checkout_timeout: Duration,
    /// How long `/readyz` waits for the database and the store before answering 503.
    pub ready_timeout: Duration,
    /// Browser origins allowed to call the API (CORS), e.g. `https://console.bureau.example`;
    /// none by default.
    pub cors_origins: Vec<String>,
    /// How long after each failed webhook delivery the next attempt comes; after the last, the
    /// delivery has failed.
    pub webhook_retry_schedule: Vec<Duration>,
    /// Admit webhook targets on loopback and private networks (on-premise installations).
    pub webhook_allow_private: bool,
    /// How long a receiver may take to answer.
    pub webhook_timeout: Duration,
    /// How often each API node looks for events to fan out and deliveries that are due.
    pub notify_interval: Duration,
    /// Days before a deadline on which `hazard.deadline_approaching` is sent.
    pub reminder_days: Vec<u32>,
    /// The listed-supervision level an overdue major hazard is put under by the system itself;
    /// `None` (`off`) leaves it to supervisors.
    pub auto_listing_level: Option<String>,
    /// How often each node runs the scheduler (reminders, overdue, automatic listing).
    pub scheduler_interval: Duration,
    /// Where people reach this service: the documents' QR codes point at `{public_url}/verify/…`.
    pub public_url: String,
    /// A directory of document templates that replace the built-in ones by file name.
    pub document_templates: Option<PathBuf>,
    /// Directories searched for a font when a name has a character the shipped font lacks.
    pub font_dirs: Vec<PathBuf>,
    /// The risk map's tile URL template (`https://…/{z}/{x}/{y}.png`); none by default, so a
    /// bureau on a closed network draws its points on a blank map.
    pub map_tiles: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads configuration through `lookup`, so tests can supply their own variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let environment = match lookup("SAFELOOP_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError(format!(
                    "SAFELOOP_ENV must be `development` or `production`, not `{other}`"
                )));
            }
        };
        let data_dir =
            PathBuf::from(lookup("SAFELOOP_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = lookup("DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("safeloop.db").display()));
        let token_secret = lookup("SAFELOOP_TOKEN_SECRET");
        if environment == Environment::Production {
            match &token_secret {
                None => {
                    return Err(ConfigError(
                        "SAFELOOP_TOKEN_SECRET must be set in production".into(),
                    ));
                }
                Some(s) if s == DEVELOPMENT_TOKEN_SECRET => {
                    return Err(ConfigError(
                        "SAFELOOP_TOKEN_SECRET is the development default; set a secret of your own".into(),
                    ));
                }
                Some(s) if s.len() < MIN_PRODUCTION_SECRET_BYTES => {
                    return Err(ConfigError(format!(
                        "SAFELOOP_TOKEN_SECRET must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(Config {
            environment,
            bind: parse(&lookup, "SAFELOOP_BIND", "127.0.0.1:8080")?,
            data_dir,
            database_url,
            database_pool_size: parse(&lookup, "SAFELOOP_DB_POOL_SIZE", "10")?,
            token_secret: SecretString::from(
                token_secret.unwrap_or_else(|| DEVELOPMENT_TOKEN_SECRET.into()),
            ),
            token: TokenSettings {
                algorithm: token_algorithm(lookup("SAFELOOP_TOKEN_ALGORITHM").as_deref())?,
                key_id: lookup("SAFELOOP_TOKEN_KEY_ID").unwrap_or_else(|| "primary".into()),
                private_key_file: lookup("SAFELOOP_TOKEN_PRIVATE_KEY_FILE"),
                public_key_file: lookup("SAFELOOP_TOKEN_PUBLIC_KEY_FILE"),
                extra_keys: extra_token_keys(lookup("SAFELOOP_TOKEN_EXTRA_KEYS").as_deref())?,
            },
            token_issuer: lookup("SAFELOOP_TOKEN_ISSUER").unwrap_or_else(|| "safeloop".into()),
            access_token_ttl: Duration::from_secs(parse(
                &lookup,
                "SAFELOOP_ACCESS_TOKEN_TTL_SECS",
                "900",
            )?),
            refresh_token_ttl: Duration::from_secs(
                parse::<u64>(&lookup, "SAFELOOP_REFRESH_TOKEN_TTL_DAYS", "30")? * 86_400,
            ),
            admin_username: lookup("SAFELOOP_ADMIN_USERNAME").unwrap_or_else(|| "admin".into()),
            admin_password: lookup("SAFELOOP_ADMIN_PASSWORD").map(SecretString::from),
            log_format: match lookup("SAFELOOP_LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError(format!(
                        "SAFELOOP_LOG_FORMAT must be `pretty` or `json`, not `{other}`"
                    )));
                }
            },
            json_limit_bytes: parse(&lookup, "SAFELOOP_JSON_LIMIT_BYTES", "1048576")?,
            trust_forwarded_for: parse(&lookup, "SAFELOOP_TRUST_FORWARDED_FOR", "false")?,
            s3: s3_settings(&lookup)?,
            photo_max_bytes: parse(&lookup, "SAFELOOP_PHOTO_MAX_BYTES", "20971520")?,
            photo_max_pixels: parse(&lookup, "SAFELOOP_PHOTO_MAX_PIXELS", "50000000")?,
            upload_memory_bytes: parse(&lookup, "SAFELOOP_UPLOAD_MEMORY_BYTES", "67108864")?,
            extension_max_days: positive(&lookup, "SAFELOOP_EXTENSION_MAX_DAYS", "180")?,
            inspection_max_age_days: positive(&lookup, "SAFELOOP_INSPECTION_MAX_AGE_DAYS", "365")?,
            db_checkout_timeout: Duration::from_millis(positive(
                &lookup,
                "SAFELOOP_DB_CHECKOUT_TIMEOUT_MS",
                "5000",
            )? as u64),
            ready_timeout: Duration::from_millis(positive(
                &lookup,
                "SAFELOOP_READY_TIMEOUT_MS",
                "800",
            )? as u64),
            cors_origins: cors_origins(lookup("SAFELOOP_CORS_ORIGINS").as_deref())?,
            webhook_retry_schedule: durations(
                "SAFELOOP_WEBHOOK_RETRY_SCHEDULE",
                lookup("SAFELOOP_WEBHOOK_RETRY_SCHEDULE").as_deref(),
            )?,
            webhook_allow_private: parse(&lookup, "SAFELOOP_WEBHOOK_ALLOW_PRIVATE", "false")?,
            webhook_timeout: Duration::from_secs(positive(
                &lookup,
                "SAFELOOP_WEBHOOK_TIMEOUT_SECS",
                "15",
            )? as u64),
            notify_interval: Duration::from_millis(positive(
                &lookup,
                "SAFELOOP_NOTIFY_INTERVAL_MS",
                "3000",
            )? as u64),
            reminder_days: reminder_days(lookup("SAFELOOP_REMINDER_DAYS").as_deref())?,
            auto_listing_level: match lookup("SAFELOOP_AUTO_LISTING_LEVEL").as_deref() {
                None | Some("county") => Some("county".into()),
                Some("off") => None,
                Some(level @ ("city" | "province")) => Some(level.into()),
                Some(other) => {
                    return Err(ConfigError(format!(
                        "SAFELOOP_AUTO_LISTING_LEVEL must be county, city, province or off, not `{other}`"
                    )));
                }
            },
            scheduler_interval: Duration::from_secs(positive(
                &lookup,
                "SAFELOOP_SCHEDULER_INTERVAL_SECS",
                "60",
            )? as u64),
            public_url: public_url(lookup("SAFELOOP_PUBLIC_URL").as_deref())?,
            document_templates: lookup("SAFELOOP_DOCUMENT_TEMPLATES").map(PathBuf::from),
            font_dirs: lookup("SAFELOOP_FONT_DIRS")
                .unwrap_or_else(|| "/usr/share/fonts:/usr/local/share/fonts".into())
                .split(':')
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .collect(),
            map_tiles: map_tiles(lookup("SAFELOOP_MAP_TILES").as_deref())?,
        })
    }

    /// A configuration for tests and tools: development defaults around the given database.
    pub fn for_database(database_url: &str, data_dir: PathBuf) -> Self {
        let mut config = Self::from_lookup(|_| None).expect("defaults are valid");
        config.database_url = database_url.to_owned();
        config.data_dir = data_dir;
        config
    }

    pub fn token_secret_bytes(&self) -> &[u8] {
        self.token_secret.expose_secret().as_bytes()
    }
}

/// `SAFELOOP_PUBLIC_URL`: an http(s) origin (and path), without a trailing slash.
fn public_url(value: Option<&str>) -> Result<String, ConfigError> {
    let url = value
        .unwrap_or("http://127.0.0.1:8080")
        .trim_end_matches('/');
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError(format!(
            "SAFELOOP_PUBLIC_URL must be an http(s) URL, not `{url}`"
        )));
    }
    Ok(url.to_owned())
}

/// `SAFELOOP_MAP_TILES`: an http(s) template with `{z}`, `{x}` and `{y}`.
fn map_tiles(value: Option<&str>) -> Result<Option<String>, ConfigError> {
    let Some(url) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let has_places = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
    let clean = !url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "'\"<>;".contains(c));
    if !(scheme_ok && has_places && clean) {
        return Err(ConfigError(format!(
            "SAFELOOP_MAP_TILES must be an http(s) URL template with {{z}}, {{x}} and {{y}}, not `{url}`"
        )));
    }
    Ok(Some(url.to_owned()))
}

fn s3_settings(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<S3Settings>, ConfigError> {
    let Some(endpoint) = lookup("S3_ENDPOINT") else {
        return Ok(None);
    };
    let has_host = endpoint.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
    });
    if !has_host {
        return Err(ConfigError(format!(
            "S3_ENDPOINT must be an http:// or https:// URL with a host (e.g. http://127.0.0.1:9000), not {endpoint:?}"
        )));
    }
    let required = |name: &str| {
        lookup(name).ok_or_else(|| ConfigError(format!("{name} must be set when S3_ENDPOINT is")))
    };
    Ok(Some(S3Settings {
        endpoint,
        bucket: required("S3_BUCKET")?,
        region: lookup("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key_id: required("S3_ACCESS_KEY_ID")?,
        secret_access_key: SecretString::from(required("S3_SECRET_ACCESS_KEY")?),
        redirect_downloads: parse(lookup, "S3_REDIRECT_DOWNLOADS", "false")?,
    }))
}

fn token_algorithm(name: Option<&str>) -> Result<jsonwebtoken::Algorithm, ConfigError> {
    use jsonwebtoken::Algorithm;
    match name {
        None | Some("HS256") => Ok(Algorithm::HS256),
        Some("EdDSA") => Ok(Algorithm::EdDSA),
        Some("ES256") => Ok(Algorithm::ES256),
        Some(other) => Err(ConfigError(format!(
            "token algorithm `{other}` is not one of HS256, EdDSA, ES256"
        ))),
    }
}

fn extra_token_keys(list: Option<&str>) -> Result<Vec<ExtraTokenKey>, ConfigError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(|entry| {
            let mut parts = entry.trim().splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(kid), Some(alg), Some(source)) if !kid.is_empty() && !source.is_empty() => {
                    Ok(ExtraTokenKey {
                        kid: kid.to_owned(),
                        algorithm: token_algorithm(Some(alg))?,
                        source: source.to_owned(),
                    })
                }
                _ => Err(ConfigError(format!(
                    "SAFELOOP_TOKEN_EXTRA_KEYS entry `{entry}` is not kid:ALG:secret-or-key-file"
                ))),
            }
        })
        .collect()
}

/// `SAFELOOP_REMINDER_DAYS`: whole days before a deadline, comma-separated (default `3,1`).
fn reminder_days(list: Option<&str>) -> Result<Vec<u32>, ConfigError> {
    let mut days = list
        .unwrap_or("3,1")
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| match d.parse::<u32>() {
            Ok(n) if (1..=90).contains(&n) => Ok(n),
            _ => Err(ConfigError(format!(
                "SAFELOOP_REMINDER_DAYS: `{d}` is not a number of days from 1 to 90"
            ))),
        })
        .collect::<Result<Vec<u32>, _>>()?;
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

/// The Standard Webhooks schedule, about three days: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
/// 10 h, 24 h after each failed attempt.
const DEFAULT_RETRY_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h,24h";

/// Comma-separated durations: a number and `s`, `m`, `h` or `d` (`5s,5m,2h`).
fn durations(name: &str, list: Option<&str>) -> Result<Vec<Duration>, ConfigError> {
    list.unwrap_or(DEFAULT_RETRY_SCHEDULE)
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let (number, unit) = d.split_at(d.len().saturating_sub(1));
            let seconds = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                _ => 0,
            };
            match number.parse::<u64>() {
                Ok(n) if seconds > 0 => Ok(Duration::from_secs(n * seconds)),
                _ => Err(ConfigError(format!(
                    "{name}: `{d}` is not a duration like 30s, 5m, 2h or 1d"
                ))),
            }
        })
        .collect()
}

/// `SAFELOOP_CORS_ORIGINS`: comma-separated origins (`scheme://host[:port]`, no path).
fn cors_origins(list: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            let (scheme, rest) = origin.split_once("://").unwrap_or(("", origin));
            let ok = matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains('/');
            if ok {
                Ok(origin.to_owned())
            } else {
                Err(ConfigError(format!(
                    "SAFELOOP_CORS_ORIGINS: `{origin}` is not an origin like https://console.example.org"
                )))
            }
        })
        .collect()
}

/// A whole number above zero.
fn positive(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<i64, ConfigError> {
    let value: i64 = parse(lookup, name, default)?;
    if value <= 0 {
        return Err(ConfigError(format!(
            "{name} must be above zero, not {value}"
        )));
    }
    Ok(value)
}

fn parse<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let raw = lookup(name).unwrap_or_else(|| default.to_owned());
    raw.parse()
        .map_err(|e| ConfigError(format!("{name}=`{raw}` is not valid: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_serve_sqlite_under_data() {
        let config = with(&[]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url, "sqlite://./data/safeloop.db");
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.access_token_ttl, Duration::from_secs(900));
    }

    #[test]
    fn data_dir_moves_the_default_database() {
        let config = with(&[("SAFELOOP_DATA_DIR", "/srv/safeloop")]).unwrap();
        assert_eq!(config.database_url, "sqlite:///srv/safeloop/safeloop.db");
    }

    #[test]
    fn production_refuses_missing_default_or_short_secrets() {
        let prod = ("SAFELOOP_ENV", "production");
        assert!(with(&[prod]).is_err());
        assert!(with(&[prod, ("SAFELOOP_TOKEN_SECRET", DEVELOPMENT_TOKEN_SECRET)]).is_err());
        assert!(with(&[prod, ("SAFELOOP_TOKEN_SECRET", "short")]).is_err());
        let long = "x".repeat(MIN_PRODUCTION_SECRET_BYTES);
        assert!(with(&[prod, ("SAFELOOP_TOKEN_SECRET", &long)]).is_ok());
    }

    #[test]
    fn s3_needs_its_bucket_and_keys() {
        assert!(with(&[]).unwrap().s3.is_none());
        let err = with(&[("S3_ENDPOINT", "http://127.0.0.1:9000")]).unwrap_err();
        assert!(err.to_string().contains("S3_BUCKET"), "{err}");
        let config = with(&[
            ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("S3_BUCKET", "evidence"),
            ("S3_ACCESS_KEY_ID", "ak"),
            ("S3_SECRET_ACCESS_KEY", "sk"),
        ])
        .unwrap();
        let s3 = config.s3.unwrap();
        assert_eq!(
            (s3.bucket.as_str(), s3.region.as_str()),
            ("evidence", "us-east-1")
        );
        assert!(
            !format!("{s3:?}").contains("\"sk\""),
            "the secret is not printed"
        );
        assert!(
            !s3.redirect_downloads,
            "downloads go through the API by default"
        );
        let store = [
            ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("S3_BUCKET", "evidence"),
            ("S3_ACCESS_KEY_ID", "ak"),
            ("S3_SECRET_ACCESS_KEY", "sk"),
        ];
        for endpoint in ["/s3", "127.0.0.1:9000", "ftp://store"] {
            // The first value of a name is the one read.
            let err = with(&[&[("S3_ENDPOINT", endpoint)], &store[1..]].concat()).unwrap_err();
            assert!(err.to_string().contains("S3_ENDPOINT"), "{endpoint}: {err}");
        }
        let redirect = with(&[store.as_slice(), &[("S3_REDIRECT_DOWNLOADS", "true")]].concat());
        assert!(redirect.unwrap().s3.unwrap().redirect_downloads);
        let bad = with(&[store.as_slice(), &[("S3_REDIRECT_DOWNLOADS", "yes")]].concat());
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("S3_REDIRECT_DOWNLOADS")
        );
    }

    #[test]
    fn extra_token_keys_are_parsed() {
        let config = with(&[(
            "SAFELOOP_TOKEN_EXTRA_KEYS",
            "old:HS256:s3cr:et, k0:EdDSA:/keys/k0.pem",
        )])
        .unwrap();
        let keys = &config.token.extra_keys;
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (keys[0].kid.as_str(), keys[0].source.as_str()),
            ("old", "s3cr:et")
        );
        assert_eq!(keys[1].algorithm, jsonwebtoken::Algorithm::EdDSA);
        assert!(with(&[("SAFELOOP_TOKEN_EXTRA_KEYS", "nokind")]).is_err());
        assert!(with(&[("SAFELOOP_TOKEN_ALGORITHM", "none")]).is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = with(&[("SAFELOOP_BIND", "nowhere")]).unwrap_err();
        assert!(err.to_string().contains("SAFELOOP_BIND"), "{err}");
        let err = with(&[("SAFELOOP_ENV", "staging")]).unwrap_err();
        assert!(err.to_string().contains("SAFELOOP_ENV"), "{err}");
    }

    #[test]
    fn notification_settings_are_read_and_checked() {
        let defaults = with(&[]).unwrap();
        assert_eq!(defaults.webhook_retry_schedule.len(), 8);
        let total: u64 = defaults
            .webhook_retry_schedule
            .iter()
            .map(|d| d.as_secs())
            .sum();
        assert!(
            (2 * 86_400..4 * 86_400).contains(&total),
            "about three days: {total} s"
        );
        assert!(!defaults.webhook_allow_private && defaults.cors_origins.is_empty());
        let set = with(&[
            ("SAFELOOP_WEBHOOK_RETRY_SCHEDULE", "0s, 1s,2m"),
            (
                "SAFELOOP_CORS_ORIGINS",
                "https://console.example.org,http://localhost:5173",
            ),
        ])
        .unwrap();
        assert_eq!(
            set.webhook_retry_schedule,
            [
                Duration::ZERO,
                Duration::from_secs(1),
                Duration::from_secs(120)
            ]
        );
        assert_eq!(set.cors_origins.len(), 2);
        for (name, value) in [
            ("SAFELOOP_WEBHOOK_RETRY_SCHEDULE", "5x"),
            ("SAFELOOP_CORS_ORIGINS", "https://console.example.org/path"),
            ("SAFELOOP_EXTENSION_MAX_DAYS", "0"),
        ] {
            let err = with(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
