use std::collections::HashMap;
use std::time::{Duration, Instant};

use auth_oauth::{
    AuthServer, AuthorizeError, AuthorizeRequest, CODE_LIFETIME, TokenError, TokenRequest,
    s256_challenge, valid_verifier,
};

/// RFC 7636 Appendix B: the example verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://notes.example.com/callback";

fn authorize_request() -> AuthorizeRequest {
    AuthorizeRequest {
        response_type: "code".into(),
        client_id: "notes-app".into(),
        redirect_uri: REDIRECT.into(),
        state: "xyz&next=/admin".into(),
        code_challenge: CHALLENGE.into(),
        code_challenge_method: "S256".into(),
    }
}

/// The query parameters of a redirect to REDIRECT.
fn query(location: &str) -> HashMap<String, String> {
    let rest = location
        .strip_prefix(REDIRECT)
        .and_then(|r| r.strip_prefix('?'))
        .unwrap_or_else(|| panic!("a redirect to {REDIRECT}?…, got {location:?}"));
    form_urlencoded::parse(rest.as_bytes())
        .into_owned()
        .collect()
}

fn token_request(code: &str) -> TokenRequest {
    TokenRequest {
        grant_type: "authorization_code".into(),
        code: code.into(),
        redirect_uri: REDIRECT.into(),
        client_id: "notes-app".into(),
        code_verifier: VERIFIER.into(),
    }
}

/// A server that has issued one code to notes-app for ada, at `t0`.
fn with_code(t0: Instant) -> (AuthServer, String) {
    let mut server = AuthServer::default();
    let location = server.authorize(&authorize_request(), "ada", t0).unwrap();
    let code = query(&location)
        .remove("code")
        .expect("a code in the redirect");
    (server, code)
}

#[test]
fn the_s256_challenge_matches_rfc_7636() {
    assert_eq!(s256_challenge(VERIFIER), CHALLENGE, "RFC 7636 Appendix B");
}

#[test]
fn verifiers_have_the_rfc_shape() {
    assert!(valid_verifier(VERIFIER));
    assert!(valid_verifier(&"a".repeat(43)) && valid_verifier(&"~._-Zz09".repeat(16)));
    for bad in [
        "a".repeat(42),
        "a".repeat(129),
        format!("{}+", "a".repeat(42)),
        format!("{} ", "a".repeat(43)),
        "é".repeat(43),
    ] {
        assert!(!valid_verifier(&bad), "{bad:?}: 43–128 of [A-Za-z0-9-._~]");
    }
}

#[test]
fn a_code_comes_back_with_the_state() {
    let mut server = AuthServer::default();
    let location = server
        .authorize(&authorize_request(), "ada", Instant::now())
        .unwrap();
    let q = query(&location);
    assert_eq!(
        q["state"], "xyz&next=/admin",
        "the state, URL-encoded on the way: {location}"
    );
    assert!(
        q["code"].len() >= 43,
        "a code of at least 256 bits: {}",
        q["code"]
    );
    let again = query(
        &server
            .authorize(&authorize_request(), "ada", Instant::now())
            .unwrap(),
    );
    assert_ne!(q["code"], again["code"], "a new code each time");
}

/// RFC 9700 §4.1.3 (OAuth security BCP): redirect URIs are compared exactly. Every looser
/// comparison has been used to steal codes: open redirects, look-alike hosts, path tricks.
#[test]
fn only_the_exact_registered_redirect_uri_is_used() {
    let mut server = AuthServer::default();
    for uri in [
        "https://notes.example.com/callback/",
        "https://notes.example.com/callback?next=https://evil.example",
        "https://notes.example.com/callback/../../evil",
        "https://notes.example.com.evil.com/callback",
        "http://notes.example.com/callback",
        "https://NOTES.example.com/callback",
        "http://127.0.0.1:8765/done",
    ] {
        let req = AuthorizeRequest {
            redirect_uri: uri.into(),
            ..authorize_request()
        };
        assert_eq!(
            server.authorize(&req, "ada", Instant::now()),
            Err(AuthorizeError::BadRedirectUri),
            "{uri} is not notes-app's registered redirect URI (the last one is another client's)"
        );
    }
    let req = AuthorizeRequest {
        client_id: "evil-app".into(),
        ..authorize_request()
    };
    assert_eq!(
        server.authorize(&req, "ada", Instant::now()),
        Err(AuthorizeError::UnknownClient)
    );
}

#[test]
fn pkce_is_required_and_only_s256() {
    let mut server = AuthServer::default();
    for (method, challenge) in [
        ("plain", VERIFIER),
        ("", ""),
        ("S256", ""),
        ("S256", "short"),
    ] {
        let req = AuthorizeRequest {
            code_challenge_method: method.into(),
            code_challenge: challenge.into(),
            ..authorize_request()
        };
        let q = query(&server.authorize(&req, "ada", Instant::now()).unwrap());
        assert_eq!(
            q.get("error").map(String::as_str),
            Some("invalid_request"),
            "method {method:?} with challenge {challenge:?}: `plain` shows the verifier to \
             whoever sees the request, and no PKCE lets a stolen code be redeemed"
        );
        assert!(!q.contains_key("code"));
        assert_eq!(q["state"], "xyz&next=/admin", "errors carry the state too");
    }
    let req = AuthorizeRequest {
        response_type: "token".into(),
        ..authorize_request()
    };
    let q = query(&server.authorize(&req, "ada", Instant::now()).unwrap());
    assert_eq!(q["error"], "unsupported_response_type", "no implicit flow");
}

#[test]
fn the_right_verifier_gets_a_token_once() {
    let t0 = Instant::now();
    let (mut server, code) = with_code(t0);
    let token = server
        .token(&token_request(&code), t0 + Duration::from_secs(5))
        .unwrap();
    assert_eq!(server.user_of(&token), Some("ada"));
}

#[test]
fn a_stolen_code_is_useless_without_the_verifier() {
    let t0 = Instant::now();
    let (mut server, code) = with_code(t0);
    let stolen = TokenRequest {
        code_verifier: "A".repeat(43),
        ..token_request(&code)
    };
    assert_eq!(
        server.token(&stolen, t0),
        Err(TokenError::InvalidGrant),
        "the wrong verifier"
    );
    let (mut server, code) = with_code(t0);
    let malformed = TokenRequest {
        code_verifier: "short".into(),
        ..token_request(&code)
    };
    assert_eq!(
        server.token(&malformed, t0),
        Err(TokenError::InvalidRequest)
    );
}

#[test]
fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let t0 = Instant::now();
    let (mut server, code) = with_code(t0);
    let other_client = TokenRequest {
        client_id: "cli-tool".into(),
        ..token_request(&code)
    };
    assert_eq!(
        server.token(&other_client, t0),
        Err(TokenError::InvalidGrant)
    );
    let (mut server, code) = with_code(t0);
    let other_uri = TokenRequest {
        redirect_uri: "http://127.0.0.1:8765/done".into(),
        ..token_request(&code)
    };
    assert_eq!(server.token(&other_uri, t0), Err(TokenError::InvalidGrant));
    let (mut server, _) = with_code(t0);
    assert_eq!(
        server.token(&token_request("made-up"), t0),
        Err(TokenError::InvalidGrant)
    );
    let wrong_grant = TokenRequest {
        grant_type: "password".into(),
        ..token_request("x")
    };
    assert_eq!(
        server.token(&wrong_grant, t0),
        Err(TokenError::UnsupportedGrantType)
    );
}

#[test]
fn codes_expire() {
    let t0 = Instant::now();
    assert_eq!(CODE_LIFETIME, Duration::from_secs(60));
    let (mut server, code) = with_code(t0);
    assert!(
        server
            .token(&token_request(&code), t0 + CODE_LIFETIME)
            .is_ok(),
        "at 60 s"
    );
    let (mut server, code) = with_code(t0);
    assert_eq!(
        server.token(
            &token_request(&code),
            t0 + CODE_LIFETIME + Duration::from_secs(1)
        ),
        Err(TokenError::InvalidGrant),
        "61 s after it was issued"
    );
}

/// RFC 6749 §4.1.2: a code used twice means someone else has it; the server should revoke the
/// tokens already issued for it.
#[test]
fn a_replayed_code_fails_and_revokes_what_it_bought() {
    let t0 = Instant::now();
    let (mut server, code) = with_code(t0);
    let token = server.token(&token_request(&code), t0).unwrap();
    assert_eq!(
        server.token(&token_request(&code), t0),
        Err(TokenError::InvalidGrant),
        "the second use"
    );
    assert_eq!(server.user_of(&token), None, "the first token is revoked");
}
