//! Access tokens as JWTs (RFC 7519), signed with HMAC-SHA256 and verified the way RFC 8725
//! (JWT Best Current Practices) asks: one algorithm, pinned; issuer, audience and expiry checked.

use std::time::Duration;

#[allow(unused_imports)] // what you will need from jsonwebtoken
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
        // TODO: check the key's length, then build both keys from the secret's bytes.
        let _ = (secret, audience, ttl);
        todo!()
    }

    /// A signed HS256 token for `subject` with `scope`, issued at `now` (seconds since the
    /// epoch) and expiring `ttl` later, for this service's audience, from ISSUER.
    pub fn issue(&self, subject: &str, scope: &str, now: u64) -> Result<String, TokenError> {
        let _ = (subject, scope, now, &self.encoding);
        todo!()
    }

    /// The claims of `token` if it is genuine and meant for us: signed with our key using
    /// HS256 (and nothing else, whatever its header says), from ISSUER, for our audience, with
    /// `exp`, `iss`, `aud` and `sub` present, and not expired (allowing LEEWAY_SECS of skew).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let _ = (token, &self.decoding, &self.audience);
        todo!()
    }
}
