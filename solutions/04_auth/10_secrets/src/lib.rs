//! Secrets in a service's configuration: typed so that they cannot be printed, logged or
//! serialized by accident, named in errors but never shown, and compared in constant time.

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
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
        let get = |name: &'static str| vars.get(name).ok_or(ConfigError::Missing(name));
        let invalid = |name, reason: &str| ConfigError::Invalid {
            name,
            reason: reason.to_owned(),
        };
        let database_url = get("DATABASE_URL")?;
        // The parser's own message may quote the input: say what is wrong in our words.
        let parsed =
            url::Url::parse(database_url).map_err(|_| invalid("DATABASE_URL", "not a URL"))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(invalid("DATABASE_URL", "the scheme must be postgres://"));
        }
        let jwt_secret = get("JWT_SECRET")?;
        if jwt_secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(invalid(
                "JWT_SECRET",
                &format!("it must have at least {MIN_JWT_SECRET_BYTES} bytes"),
            ));
        }
        let api_key = get("API_KEY")?;
        if api_key.is_empty() {
            return Err(invalid("API_KEY", "it is empty"));
        }
        let port = match vars.get("PORT") {
            None => 8080,
            Some(p) => p
                .parse()
                .map_err(|_| invalid("PORT", "not a port number"))?,
        };
        Ok(Config {
            database_url: database_url.as_str().into(),
            jwt_secret: jwt_secret.as_str().into(),
            api_key: api_key.as_str().into(),
            port,
        })
    }

    /// DATABASE_URL for a status page or a startup log line: the password replaced by `***`,
    /// everything else as it is (`postgres://app:***@db.internal:5432/app`).
    pub fn redacted_database_url(&self) -> String {
        let Ok(mut url) = url::Url::parse(self.database_url.expose_secret()) else {
            return "***".to_owned();
        };
        if url.password().is_some() {
            // Only fails for URLs that cannot have credentials, which this one has.
            let _ = url.set_password(Some("***"));
        }
        url.to_string()
    }

    /// Whether `presented` is the API key, compared in constant time.
    pub fn api_key_matches(&self, presented: &str) -> bool {
        self.api_key
            .expose_secret()
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
    }
}
