//! The authorization server's half of OAuth 2.0's authorization code flow (RFC 6749 §4.1) with
//! PKCE (RFC 7636), as OAuth 2.1 and RFC 9700 require it: exact redirect URIs, one-time short-
//! lived codes bound to their client, and S256 challenges.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: a verifier is 43 to 128 characters of `[A-Z] [a-z] [0-9] - . _ ~`.
pub fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
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
        let client = CLIENTS
            .iter()
            .find(|c| c.id == req.client_id)
            .ok_or(AuthorizeError::UnknownClient)?;
        if !client.redirect_uris.contains(&req.redirect_uri.as_str()) {
            return Err(AuthorizeError::BadRedirectUri);
        }
        let redirect = |params: &[(&str, &str)]| {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            format!("{}?{query}", req.redirect_uri)
        };
        if req.response_type != "code" {
            return Ok(redirect(&[
                ("error", "unsupported_response_type"),
                ("state", &req.state),
            ]));
        }
        if req.code_challenge_method != "S256" || req.code_challenge.len() != 43 {
            return Ok(redirect(&[
                ("error", "invalid_request"),
                ("state", &req.state),
            ]));
        }
        let code = random_token();
        self.grants.insert(
            code.clone(),
            Grant {
                client_id: req.client_id.clone(),
                redirect_uri: req.redirect_uri.clone(),
                challenge: req.code_challenge.clone(),
                user: user.to_owned(),
                issued: now,
                tokens: Vec::new(),
                used: false,
            },
        );
        Ok(redirect(&[("code", &code), ("state", &req.state)]))
    }

    /// The token endpoint: an access token for a code, at `now`. `grant_type` other than
    /// `authorization_code` is `UnsupportedGrantType`; a verifier that is not RFC 7636-shaped
    /// `InvalidRequest`. Everything else that is wrong is `InvalidGrant`: an unknown or expired
    /// code, one issued to another client or for another redirect URI, a verifier whose S256
    /// is not the challenge — and a code already used, which also revokes every token issued
    /// for it (RFC 6749 §4.1.2: someone else holds a copy of the code).
    pub fn token(&mut self, req: &TokenRequest, now: Instant) -> Result<String, TokenError> {
        if req.grant_type != "authorization_code" {
            return Err(TokenError::UnsupportedGrantType);
        }
        if !valid_verifier(&req.code_verifier) {
            return Err(TokenError::InvalidRequest);
        }
        let grant = self
            .grants
            .get_mut(&req.code)
            .ok_or(TokenError::InvalidGrant)?;
        if grant.used {
            // A second use: the code leaked. Whatever it bought is revoked.
            for token in grant.tokens.drain(..) {
                self.tokens.remove(&token);
            }
            return Err(TokenError::InvalidGrant);
        }
        grant.used = true;
        let challenge = s256_challenge(&req.code_verifier);
        let genuine = now.duration_since(grant.issued) <= CODE_LIFETIME
            && grant.client_id == req.client_id
            && grant.redirect_uri == req.redirect_uri
            && bool::from(challenge.as_bytes().ct_eq(grant.challenge.as_bytes()));
        if !genuine {
            return Err(TokenError::InvalidGrant);
        }
        let token = random_token();
        grant.tokens.push(token.clone());
        self.tokens.insert(token.clone(), grant.user.clone());
        Ok(token)
    }

    /// The user an access token speaks for, if it is valid.
    pub fn user_of(&self, token: &str) -> Option<&str> {
        self.tokens.get(token).map(String::as_str)
    }
}
