//! Secrets in a service's configuration: typed so that they cannot be printed, logged or
//! serialized by accident, named in errors but never shown, and compared in constant time.

use std::collections::HashMap;

#[allow(unused_imports)] // what you will need
use secrecy::{ExposeSecret, SecretString};
#[allow(unused_imports)]
use subtle::ConstantTimeEq;

/// HS256 keys: at least 256 bits (the JWT exercise).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The service's configuration. Every secret is a `SecretString`: its `Debug` prints
/// `[REDACTED]`, it has no `Display`, and serde will not serialize it — so `{config:?}` in a log
/// line, a panic message or an error report shows no secret.
#[derive(Debug)]
pub struct Config {
    /// `postgres://user:password@host:port/db`: the password makes the whole URL a secret.
    pub database_url: SecretString,
    pub jwt_secret: SecretString,
    /// The key other services present in `x-api-key`.
    pub api_key: SecretString,
    pub port: u16,
}

/// Errors name the variable and what is wrong with it, never its value: configuration errors
/// end up in logs, crash reports and CI output.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

impl Config {
    /// Reads DATABASE_URL (a valid `postgres://` URL), JWT_SECRET (at least
    /// MIN_JWT_SECRET_BYTES), API_KEY (not empty) and PORT (optional, default 8080) from `vars`.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let _ = vars;
        todo!()
    }

    /// DATABASE_URL for a status page or a startup log line: the password replaced by `***`,
    /// everything else as it is (`postgres://app:***@db.internal:5432/app`).
    pub fn redacted_database_url(&self) -> String {
        todo!()
    }

    /// Whether `presented` is the API key, compared in constant time.
    pub fn api_key_matches(&self, presented: &str) -> bool {
        let _ = presented;
        todo!()
    }
}
