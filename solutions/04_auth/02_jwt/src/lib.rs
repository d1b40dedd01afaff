//! Access tokens as JWTs (RFC 7519), signed with HMAC-SHA256 and verified the way RFC 8725
//! (JWT Best Current Practices) asks: one algorithm, pinned; issuer, audience and expiry checked.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

/// Who issues the tokens: the `iss` of every token, and the only issuer `verify` accepts.
pub const ISSUER: &str = "https://auth.example.com";

/// How much clock difference between servers `verify` tolerates on `exp`, in seconds.
pub const LEEWAY_SECS: u64 = 30;

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// The claims of an access token. `exp` and `iat` are seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    /// Space-separated permissions, OAuth 2.0 style.
    pub scope: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the signing key must have at least {MIN_KEY_BYTES} bytes")]
    WeakKey,
    #[error("the token has expired")]
    Expired,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token comes from another issuer")]
    WrongIssuer,
    /// Anything else: a bad signature, another algorithm, a missing claim, not a JWT at all.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Issues and verifies the access tokens of one audience (one API).
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    audience: String,
    ttl: Duration,
}

impl TokenService {
    /// A service for `audience` whose tokens live `ttl`. A secret shorter than MIN_KEY_BYTES is
    /// `WeakKey`: it could be brute-forced offline from a single token.
    pub fn new(secret: &[u8], audience: &str, ttl: Duration) -> Result<TokenService, TokenError> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(TokenError::WeakKey);
        }
        let invalid = |e: jsonwebtoken::errors::Error| TokenError::Invalid(e.to_string());
        Ok(TokenService {
            encoding: EncodingKey::from_secret(secret).map_err(invalid)?,
            decoding: DecodingKey::from_secret(secret).map_err(invalid)?,
            audience: audience.to_owned(),
            ttl,
        })
    }

    /// A signed HS256 token for `subject` with `scope`, issued at `now` (seconds since the
    /// epoch) and expiring `ttl` later, for this service's audience, from ISSUER.
    pub fn issue(&self, subject: &str, scope: &str, now: u64) -> Result<String, TokenError> {
        let claims = Claims {
            sub: subject.to_owned(),
            iss: ISSUER.to_owned(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            scope: scope.to_owned(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    /// The claims of `token` if it is genuine and meant for us: signed with our key using
    /// HS256 (and nothing else, whatever its header says), from ISSUER, for our audience, with
    /// `exp`, `iss`, `aud` and `sub` present, and not expired (allowing LEEWAY_SECS of skew).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        // The algorithm is ours to choose, never the token's (RFC 8725 §3.1).
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        use jsonwebtoken::errors::ErrorKind;
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                _ => TokenError::Invalid(e.to_string()),
            })
    }
}
