use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_jwt::{Claims, ISSUER, LEEWAY_SECS, MIN_KEY_BYTES, TokenError, TokenService};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const SECRET: &[u8] = b"an HS256 key of 32 bytes or more!";
const AUDIENCE: &str = "https://api.example.com/orders";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn service() -> TokenService {
    TokenService::new(SECRET, AUDIENCE, Duration::from_secs(900)).expect("a 33-byte key")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A token with any header and payload, signed with HMAC-SHA`bits` under `key` — what an
/// attacker (or a sloppy other service) can make.
fn forge(header: Value, payload: Value, key: &[u8], bits: u32) -> String {
    use jsonwebtoken::crypto::sign;
    let alg = match bits {
        256 => jsonwebtoken::Algorithm::HS256,
        384 => jsonwebtoken::Algorithm::HS384,
        _ => jsonwebtoken::Algorithm::HS512,
    };
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let key = jsonwebtoken::EncodingKey::from_secret(key).unwrap();
    let signature = sign(signing_input.as_bytes(), &key, alg).unwrap();
    format!("{signing_input}.{signature}")
}

/// The payload a genuine token for us has, at `now`.
fn claims(now: u64) -> Value {
    json!({"sub": "user-42", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 900, "scope": "orders:read"})
}

fn invalid(result: Result<Claims, TokenError>, why: &str) {
    assert!(
        matches!(result, Err(TokenError::Invalid(_))),
        "{why}: must be refused as invalid, got {result:?}"
    );
}

#[test]
fn an_issued_token_verifies_and_carries_its_claims() {
    let t = now();
    let token = service()
        .issue("user-42", "orders:read orders:write", t)
        .unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256", "signed with HMAC-SHA256: {header}");
    assert_eq!(
        service().verify(&token),
        Ok(Claims {
            sub: "user-42".into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: t,
            exp: t + 900,
            scope: "orders:read orders:write".into(),
        })
    );
}

#[test]
fn keys_shorter_than_the_hash_are_refused() {
    assert_eq!(MIN_KEY_BYTES, 32);
    assert!(
        matches!(
            TokenService::new(b"secret", AUDIENCE, Duration::from_secs(60)),
            Err(TokenError::WeakKey)
        ),
        "RFC 7518 §3.2: an HS256 key has at least 256 bits; a short one falls to an offline brute force of one token"
    );
    assert!(TokenService::new(&[7; 31], AUDIENCE, Duration::from_secs(60)).is_err());
    assert!(TokenService::new(&[7; 32], AUDIENCE, Duration::from_secs(60)).is_ok());
}

/// The oldest JWT attack (the libraries of 2015, RFC 8725 §2.1): `"alg": "none"` and no signature.
#[test]
fn an_unsigned_token_is_refused() {
    let token = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(now()).to_string().as_bytes())
    );
    invalid(service().verify(&token), "alg none, no signature");
}

/// RFC 8725 §3.1: the verifier decides the algorithm, never the token's header. A token signed
/// with the same secret under HS512 is not a token this service issues.
#[test]
fn only_hs256_is_accepted_whatever_the_header_says() {
    for bits in [384, 512] {
        let token = forge(
            json!({"alg": format!("HS{bits}"), "typ": "JWT"}),
            claims(now()),
            SECRET,
            bits,
        );
        invalid(service().verify(&token), &format!("an HS{bits} token"));
    }
    let token = forge(
        json!({"alg": "HS256", "typ": "JWT"}),
        claims(now()),
        SECRET,
        256,
    );
    assert!(
        service().verify(&token).is_ok(),
        "the same claims under HS256 are fine"
    );
}

#[test]
fn a_changed_payload_or_another_key_breaks_the_signature() {
    let token = service().issue("user-42", "orders:read", now()).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = claims(now());
    payload["scope"] = json!("orders:read admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(payload.to_string().as_bytes()),
        parts[2]
    );
    invalid(
        service().verify(&tampered),
        "a payload changed after signing (scope escalated)",
    );
    let other = forge(
        json!({"alg": "HS256", "typ": "JWT"}),
        claims(now()),
        b"another key of 32 bytes or more!!",
        256,
    );
    invalid(service().verify(&other), "signed with another key");
    invalid(service().verify("not.a.jwt"), "garbage");
}

/// A token is for one audience: a token for the billing API must not open the orders API, even
/// though the same issuer signed both (RFC 8725 §3.9).
#[test]
fn a_token_for_another_audience_is_refused() {
    let billing = TokenService::new(
        SECRET,
        "https://api.example.com/billing",
        Duration::from_secs(900),
    )
    .unwrap();
    let token = billing.issue("user-42", "billing:read", now()).unwrap();
    assert_eq!(service().verify(&token), Err(TokenError::WrongAudience));
    let mut payload = claims(now());
    payload.as_object_mut().unwrap().remove("aud");
    let token = forge(json!({"alg": "HS256"}), payload, SECRET, 256);
    invalid(service().verify(&token), "a token without an audience");
}

#[test]
fn a_token_from_another_issuer_is_refused() {
    let mut payload = claims(now());
    payload["iss"] = json!("https://evil.example.com");
    let token = forge(json!({"alg": "HS256"}), payload.clone(), SECRET, 256);
    assert_eq!(service().verify(&token), Err(TokenError::WrongIssuer));
    payload.as_object_mut().unwrap().remove("iss");
    let token = forge(json!({"alg": "HS256"}), payload, SECRET, 256);
    invalid(service().verify(&token), "a token without an issuer");
}

#[test]
fn required_claims_must_be_there() {
    for missing in ["exp", "sub"] {
        let mut payload = claims(now());
        payload.as_object_mut().unwrap().remove(missing);
        let token = forge(json!({"alg": "HS256"}), payload, SECRET, 256);
        invalid(
            service().verify(&token),
            &format!("a token without `{missing}`"),
        );
    }
}

/// Expiry with a small tolerance for clocks that disagree: LEEWAY_SECS, not the library's default
/// of a minute.
#[test]
fn expiry_allows_the_leeway_and_no_more() {
    assert_eq!(LEEWAY_SECS, 30);
    let short = TokenService::new(SECRET, AUDIENCE, Duration::from_secs(60)).unwrap();
    let t = now();
    // Expired 10 s ago: within the leeway.
    let token = short.issue("user-42", "", t - 70).unwrap();
    assert!(
        short.verify(&token).is_ok(),
        "10 s past exp is within {LEEWAY_SECS} s of skew"
    );
    // Expired 45 s ago: past the leeway (a minute of default leeway would still accept it).
    let token = short.issue("user-42", "", t - 105).unwrap();
    assert_eq!(
        short.verify(&token),
        Err(TokenError::Expired),
        "45 s past exp"
    );
    let token = short.issue("user-42", "", t - 4000).unwrap();
    assert_eq!(short.verify(&token), Err(TokenError::Expired));
}

#[test]
fn issued_tokens_expire_after_the_services_ttl() {
    let t = now();
    let token = service().issue("user-42", "", t).unwrap();
    let claims = service().verify(&token).unwrap();
    assert_eq!((claims.iat, claims.exp), (t, t + 900), "exp is iat + ttl");
}
