use std::time::{Duration, Instant};

use argon2::{Params, PasswordHash};
use auth_passwords::{
    Accounts, AuthError, MIN_PASSWORD_CHARS, Policy, hash_password, needs_rehash, verify_password,
};

/// Made with the reference implementation of Argon2 (libargon2, through Python's argon2-cffi):
/// `hash_secret(b"correct horse battery staple", b"saltsaltsaltsalt", time_cost=2,
/// memory_cost=19456, parallelism=1, hash_len=32, type=ID)`.
const REFERENCE_OWASP: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$QKHrg5tayLGcN+Y0HVPNaBqykOVLUxlMkZycXE1uWRM";

/// The same implementation, with an older, cheaper policy: password `password`, salt
/// `somesaltsomesalt`, m=4096, t=3, p=1.
const REFERENCE_OLD: &str = "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$BvuA7SfebsIC3f4gSy7/Ei1s6+hsEfaOuCZMbl/y/Sg";

/// A cheap policy for the tests that hash a lot (OWASP's is tested on its own).
const FAST: Policy = Policy {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

#[test]
fn a_hash_is_an_argon2id_phc_string_with_the_policys_costs() {
    let phc = hash_password("correct horse battery staple", Policy::OWASP).unwrap();
    let parsed =
        PasswordHash::new(&phc).unwrap_or_else(|e| panic!("{phc:?} is not a PHC string: {e}"));
    assert_eq!(
        parsed.algorithm.as_str(),
        "argon2id",
        "Argon2id (RFC 9106's first choice) resists both GPU cracking and side channels: {phc}"
    );
    assert_eq!(
        parsed.version,
        Some(0x13),
        "the current Argon2 version, 0x13: {phc}"
    );
    let params = Params::try_from(&parsed).unwrap();
    assert_eq!(
        (params.m_cost(), params.t_cost(), params.p_cost()),
        (19_456, 2, 1),
        "the costs come from the policy: {phc}"
    );
    let salt = parsed.salt.expect("a salt in the string");
    assert!(
        salt.len() >= 16,
        "a salt of at least 16 bytes (RFC 9106 §3.1), got {}",
        salt.len()
    );
    assert!(verify_password("correct horse battery staple", &phc).unwrap());
    let cheap = hash_password("correct horse battery staple", FAST).unwrap();
    let params = Params::try_from(&PasswordHash::new(&cheap).unwrap()).unwrap();
    assert_eq!(
        (params.m_cost(), params.t_cost(), params.p_cost()),
        (1024, 1, 1),
        "another policy, other costs — not argon2's defaults: {cheap}"
    );
}

#[test]
fn the_same_password_hashes_differently_every_time() {
    let a = hash_password("hunter2hunter2", FAST).unwrap();
    let b = hash_password("hunter2hunter2", FAST).unwrap();
    assert_ne!(
        a, b,
        "a fresh random salt per hash: equal passwords must not give equal hashes \
         (one cracked hash would reveal every user who shares it, and precomputed tables work)"
    );
    assert!(verify_password("hunter2hunter2", &a).unwrap());
    assert!(verify_password("hunter2hunter2", &b).unwrap());
}

#[test]
fn hashes_of_the_reference_implementation_verify() {
    assert!(
        verify_password("correct horse battery staple", REFERENCE_OWASP).unwrap(),
        "a hash made by libargon2 verifies: same algorithm, same encoding"
    );
    assert!(
        verify_password("password", REFERENCE_OLD).unwrap(),
        "the costs are read from the hash (m=4096, t=3), not taken from today's policy"
    );
    assert!(!verify_password("Password", REFERENCE_OLD).unwrap());
    assert!(!verify_password("password ", REFERENCE_OLD).unwrap());
    assert!(!verify_password("", REFERENCE_OLD).unwrap());
}

#[test]
fn a_broken_hash_is_an_error_not_a_wrong_password() {
    for broken in [
        "",
        "not a hash",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
    ] {
        assert!(
            matches!(verify_password("x", broken), Err(AuthError::Hashing(_))),
            "{broken:?} is not a valid Argon2 hash: that is our bug or corruption, an error, \
             not a failed login"
        );
    }
}

#[test]
fn outdated_hashes_need_a_rehash() {
    assert!(
        !needs_rehash(REFERENCE_OWASP, Policy::OWASP).unwrap(),
        "the current policy"
    );
    assert!(
        needs_rehash(REFERENCE_OLD, Policy::OWASP).unwrap(),
        "m=4096, t=3: another policy"
    );
    for (m, t, p) in [(19_456, 3, 1), (19_456, 2, 2), (65_536, 2, 1)] {
        let policy = Policy {
            memory_kib: m,
            iterations: t,
            parallelism: p,
        };
        assert!(
            needs_rehash(REFERENCE_OWASP, policy).unwrap(),
            "every cost counts: a hash with m=19456,t=2,p=1 under a policy of m={m},t={t},p={p}"
        );
    }
    let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$QKHrg5tayLGcN+Y0HVPNaBqykOVLUxlMkZycXE1uWRM";
    assert!(
        needs_rehash(argon2i, Policy::OWASP).unwrap(),
        "same costs, but Argon2i: not the algorithm of the policy"
    );
}

#[test]
fn registration_checks_the_password_length_in_characters_and_the_email() {
    let mut accounts = Accounts::new(FAST).unwrap();
    assert_eq!(MIN_PASSWORD_CHARS, 8);
    assert_eq!(
        accounts.register("ada@example.com", "1234567"),
        Err(AuthError::PasswordTooShort)
    );
    // Seven characters, fourteen bytes: still too short.
    assert_eq!(
        accounts.register("ada@example.com", "ééééééé"),
        Err(AuthError::PasswordTooShort),
        "the minimum counts characters, not UTF-8 bytes"
    );
    accounts
        .register("ada@example.com", "pässwörd")
        .expect("8 characters");
    assert_eq!(
        accounts.register("ada@example.com", "another password"),
        Err(AuthError::EmailTaken)
    );
    let stored = accounts.stored_hash("ada@example.com").unwrap();
    assert!(!stored.contains("pässwörd"), "never the password itself");
    assert!(verify_password("pässwörd", stored).unwrap());
}

#[test]
fn login_accepts_the_password_and_refuses_everything_else_alike() {
    let mut accounts = Accounts::new(FAST).unwrap();
    accounts
        .register("ada@example.com", "correct horse")
        .unwrap();
    assert_eq!(accounts.login("ada@example.com", "correct horse"), Ok(()));
    let wrong = accounts.login("ada@example.com", "correct horsE");
    let unknown = accounts.login("bob@example.com", "correct horse");
    assert_eq!(wrong, Err(AuthError::InvalidCredentials));
    assert_eq!(
        unknown, wrong,
        "an unknown email and a wrong password must look the same (OWASP Authentication Cheat \
         Sheet: generic error messages), or the login form tells anyone which emails have accounts"
    );
    assert_eq!(
        unknown.unwrap_err().to_string(),
        wrong.unwrap_err().to_string()
    );
}

/// Even with the same message, a login that answers "unknown email" in microseconds and "wrong
/// password" after a 19 MiB hash tells an attacker which emails exist. Argon2 is the slow part
/// of a login, so the two are compared with a wide margin (a hash costs milliseconds, a map
/// lookup microseconds); the median of several tries keeps a busy machine out of it.
#[test]
fn an_unknown_email_costs_what_a_wrong_password_costs() {
    let mut accounts = Accounts::new(Policy::OWASP).unwrap();
    accounts
        .register("ada@example.com", "correct horse")
        .unwrap();
    let median = |accounts: &mut Accounts, email: &str| -> Duration {
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let start = Instant::now();
                let _ = accounts.login(email, "wrong password");
                start.elapsed()
            })
            .collect();
        times.sort();
        times[2]
    };
    let wrong = median(&mut accounts, "ada@example.com");
    let unknown = median(&mut accounts, "nobody@example.com");
    assert!(
        unknown * 4 >= wrong,
        "a wrong password took {wrong:?}, an unknown email {unknown:?}: verify the password \
         against the dummy hash when the email is unknown, so both cost one Argon2 hash"
    );
}

#[test]
fn a_successful_login_upgrades_an_outdated_hash() {
    let mut accounts = Accounts::new(Policy::OWASP).unwrap();
    accounts.import("old@example.com", REFERENCE_OLD);
    assert_eq!(
        accounts.login("old@example.com", "wrong"),
        Err(AuthError::InvalidCredentials)
    );
    assert_eq!(
        accounts.stored_hash("old@example.com"),
        Some(REFERENCE_OLD),
        "a failed login changes nothing"
    );
    accounts
        .login("old@example.com", "password")
        .expect("the old hash still verifies");
    let upgraded = accounts.stored_hash("old@example.com").unwrap().to_owned();
    assert_ne!(
        upgraded, REFERENCE_OLD,
        "a successful login rehashes an outdated hash"
    );
    assert!(
        !needs_rehash(&upgraded, Policy::OWASP).unwrap(),
        "{upgraded}"
    );
    assert!(verify_password("password", &upgraded).unwrap());
    accounts.login("old@example.com", "password").unwrap();
    assert_eq!(
        accounts.stored_hash("old@example.com"),
        Some(upgraded.as_str()),
        "an up-to-date hash is kept: rehashing every login is a write (and a cost) per login"
    );
}
