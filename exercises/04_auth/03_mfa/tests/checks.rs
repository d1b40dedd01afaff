use auth_mfa::{Algorithm, DIGITS, MAX_FAILURES, MfaError, STEP_SECS, SecondFactor, code_at};

/// RFC 6238 Appendix B: the seeds (ASCII "1234567890" repeated to 20, 32 and 64 bytes).
const SEED_SHA1: &[u8] = b"12345678901234567890";
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

/// The secret of the user in the other tests (20 random-looking bytes, as apps use).
const SECRET: &[u8] =
    b"\x8f\x1e\x03\xa7\x55\xc2\x19\xbe\x7d\x60\x44\xf1\x0a\x93\x2e\xd8\x5b\x71\xc6\x0f";

/// 2023-11-14 22:13:20 UTC: the start of a step (a multiple of 30).
const T: u64 = 1_700_000_000 - 1_700_000_000 % 30;

fn code(t: u64) -> String {
    code_at(SECRET, Algorithm::SHA1, DIGITS, t).unwrap()
}

#[test]
fn codes_match_the_test_vectors_of_rfc_6238() {
    // Appendix B, Table: (time, SHA-1, SHA-256, SHA-512), 8 digits.
    for (t, sha1, sha256, sha512) in [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ] {
        assert_eq!(
            code_at(SEED_SHA1, Algorithm::SHA1, 8, t).unwrap(),
            sha1,
            "SHA-1 at {t}"
        );
        assert_eq!(
            code_at(SEED_SHA256, Algorithm::SHA256, 8, t).unwrap(),
            sha256,
            "SHA-256 at {t}"
        );
        assert_eq!(
            code_at(SEED_SHA512, Algorithm::SHA512, 8, t).unwrap(),
            sha512,
            "SHA-512 at {t}"
        );
    }
    // Six digits are the last six of the same number.
    assert_eq!(
        code_at(SEED_SHA1, Algorithm::SHA1, 6, 59).unwrap(),
        "287082"
    );
}

#[test]
fn a_short_secret_is_refused() {
    assert_eq!(
        SecondFactor::new(b"0123456789").err(),
        Some(MfaError::WeakSecret),
        "80 bits: RFC 4226 §4 asks for at least 128"
    );
    assert!(SecondFactor::new(&[1; 16]).is_ok());
}

#[test]
fn the_current_code_is_accepted_anywhere_in_its_step() {
    assert_eq!((STEP_SECS, DIGITS), (30, 6));
    let mut f = SecondFactor::new(SECRET).unwrap();
    assert_eq!(
        f.verify(&code(T), T + 29),
        Ok(()),
        "the code of [T, T+30) at T+29"
    );
    assert_eq!(code(T).len(), 6);
}

#[test]
fn one_step_either_side_is_accepted_and_no_more() {
    let mut f = SecondFactor::new(SECRET).unwrap();
    assert_eq!(
        f.verify(&code(T - 30), T),
        Ok(()),
        "the previous step's code: typed just before the app changed it"
    );
    let mut f = SecondFactor::new(SECRET).unwrap();
    assert_eq!(
        f.verify(&code(T + 30), T),
        Ok(()),
        "the next step's: a phone clock a bit ahead"
    );
    let mut f = SecondFactor::new(SECRET).unwrap();
    assert_eq!(
        f.verify(&code(T - 60), T),
        Err(MfaError::Invalid),
        "two steps old: a window of ±1 step, not more (each step more is more guesses that work)"
    );
    assert_eq!(
        f.verify(&code(T + 60), T),
        Err(MfaError::Invalid),
        "two steps ahead"
    );
}

/// RFC 6238 §5.2: a verifier must not accept the second attempt of the same code. Someone who
/// saw it over a shoulder, or phished it, would otherwise have 30–90 seconds to use it too.
#[test]
fn a_code_is_used_once_and_older_codes_are_spent_too() {
    let mut f = SecondFactor::new(SECRET).unwrap();
    assert_eq!(f.verify(&code(T), T + 1), Ok(()));
    assert_eq!(
        f.verify(&code(T), T + 2),
        Err(MfaError::Replayed),
        "the same code again"
    );
    assert_eq!(
        f.verify(&code(T - 30), T + 3),
        Err(MfaError::Replayed),
        "the previous step's code is still in the window, but older than one already accepted"
    );
    assert_eq!(
        f.verify(&code(T + 30), T + 31),
        Ok(()),
        "the next step's code is new"
    );
}

#[test]
fn wrong_codes_lock_the_factor() {
    assert_eq!(MAX_FAILURES, 5);
    let mut f = SecondFactor::new(SECRET).unwrap();
    let wrong = if code(T) == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..4 {
        assert_eq!(f.verify(wrong, T), Err(MfaError::Invalid));
    }
    assert_eq!(
        f.verify(&code(T), T),
        Ok(()),
        "four wrong codes, then the right one"
    );
    for _ in 0..MAX_FAILURES {
        assert_eq!(
            f.verify(wrong, T + 30),
            Err(MfaError::Invalid),
            "the count restarted"
        );
    }
    assert_eq!(
        f.verify(&code(T + 30), T + 30),
        Err(MfaError::Locked),
        "five wrong codes in a row: even the right code is refused (a million codes are not \
         many guesses for a script)"
    );
    assert_eq!(f.verify(wrong, T + 60), Err(MfaError::Locked));
}

#[test]
fn malformed_codes_are_wrong_codes() {
    let mut f = SecondFactor::new(SECRET).unwrap();
    for bad in ["", "12345", "1234567", "abcdef", " 123456"] {
        assert_eq!(f.verify(bad, T), Err(MfaError::Invalid), "{bad:?}");
    }
}
