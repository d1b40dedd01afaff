//! The authorization server's half of OAuth 2.0's authorization code flow (RFC 6749 §4.1) with
//! PKCE (RFC 7636), as OAuth 2.1 and RFC 9700 require it: exact redirect URIs, one-time short-
//! lived codes bound to their client, and S256 challenges.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A registered client: its id and the redirect URIs it registered, compared exactly.
pub struct Client {
    pub id: &'static str,
    pub redirect_uris: &'static [&'static str],
}

pub const CLIENTS: [Client; 2] = [
    Client {
        id: "notes-app",
        redirect_uris: &["https://notes.example.com/callback"],
    },
    Client {
        id: "cli-tool",
        redirect_uris: &["http://127.0.0.1:8765/done"],
    },
];

/// How long a code may wait for its exchange (RFC 6749 §4.1.2: at most 10 minutes; short is
/// better).
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// `BASE64URL(SHA256(verifier))` without padding: the S256 challenge of RFC 7636 §4.2.
pub fn s256_challenge(verifier: &str) -> String {
    let _ = (verifier, Sha256::digest(b""), URL_SAFE_NO_PAD.encode(b""));
    todo!()
}

/// RFC 7636 §4.1: a verifier is 43 to 128 characters of `[A-Z] [a-z] [0-9] - . _ ~`.
pub fn valid_verifier(verifier: &str) -> bool {
    let _ = verifier;
    todo!()
}

/// What the client's browser sends to the authorization endpoint (after the user logged in and
/// agreed).
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
}

/// Requests that must *not* be redirected anywhere (RFC 6749 §4.1.2.1): the redirect URI itself
/// cannot be trusted, so the user sees an error page instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    #[error("unknown client")]
    UnknownClient,
    #[error("the redirect URI is not registered for this client")]
    BadRedirectUri,
}

/// What the client's back end sends to the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub grant_type: String,
    pub code: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub code_verifier: String,
}

/// The token endpoint's errors, with their RFC 6749 §5.2 names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("invalid_request")]
    InvalidRequest,
    #[error("invalid_grant")]
    InvalidGrant,
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user: String,
    issued: Instant,
    /// The access tokens issued for this code: revoked if the code is presented again.
    tokens: Vec<String>,
    used: bool,
}

#[derive(Default)]
pub struct AuthServer {
    grants: HashMap<String, Grant>,
    /// Valid access tokens and their user.
    tokens: HashMap<String, String>,
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

impl AuthServer {
    /// The authorization endpoint, for `user` who has just logged in and consented, at `now`.
    ///
    /// Unknown client or a redirect URI that is not *exactly* one the client registered: `Err`
    /// (no redirect). Otherwise the redirect, `Ok(location)`: `redirect_uri?code=…&state=…` on
    /// success; `redirect_uri?error=unsupported_response_type&state=…` when `response_type` is
    /// not `code`; `redirect_uri?error=invalid_request&state=…` unless the method is `S256` with a
    /// 43-character challenge (no `plain`, no missing PKCE). Query values are URL-encoded; the
    /// code is 256 random bits (`random_token`).
    pub fn authorize(
        &mut self,
        req: &AuthorizeRequest,
        user: &str,
        now: Instant,
    ) -> Result<String, AuthorizeError> {
        let _ = (req, user, now, &mut self.grants, random_token);
        todo!()
    }

    /// The token endpoint: an access token for a code, at `now`. `grant_type` other than
    /// `authorization_code` is `UnsupportedGrantType`; a verifier that is not RFC 7636-shaped
    /// `InvalidRequest`. Everything else that is wrong is `InvalidGrant`: an unknown or expired
    /// code, one issued to another client or for another redirect URI, a verifier whose S256
    /// is not the challenge — and a code already used, which also revokes every token issued
    /// for it (RFC 6749 §4.1.2: someone else holds a copy of the code).
    pub fn token(&mut self, req: &TokenRequest, now: Instant) -> Result<String, TokenError> {
        let _ = (req, now, &mut self.tokens);
        todo!()
    }

    /// The user an access token speaks for, if it is valid.
    pub fn user_of(&self, token: &str) -> Option<&str> {
        self.tokens.get(token).map(String::as_str)
    }
}
