//! Storing passwords so that a stolen database does not give them away: Argon2id, one salt per
//! password, parameters kept in the hash, upgraded at login.

use std::collections::HashMap;

#[allow(unused_imports)] // what you will need from argon2
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

/// The cost of one hash. OWASP's Password Storage Cheat Sheet recommends, for Argon2id, at
/// least 19 MiB of memory, 2 iterations and 1 degree of parallelism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Policy {
    pub const OWASP: Policy = Policy {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// Unknown email or wrong password: deliberately the same error (and the same message).
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("this email is already registered")]
    EmailTaken,
    /// A stored hash that cannot be parsed, or parameters Argon2 refuses: a bug or corruption on
    /// our side, never the user's fault.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// NIST SP 800-63B: at least 8 characters; no other composition rules.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`) for `password`: Argon2id, version
/// 0x13, the policy's costs, and a fresh random salt for every call.
pub fn hash_password(password: &str, policy: Policy) -> Result<String, AuthError> {
    // TODO: build `Params` from the policy, an `Argon2` for Argon2id v0x13 with them, and let
    // it hash (it draws the salt); the `PasswordHash` displays as the PHC string.
    let _ = (password, policy);
    todo!()
}

/// Whether `password` matches `phc`. The costs and the salt come from the PHC string itself, so
/// hashes made under an older policy still verify. A string that is not a valid Argon2 PHC
/// string is `Err(Hashing)`, not `Ok(false)`.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, AuthError> {
    let _ = (password, phc);
    todo!()
}

/// Whether a stored hash should be replaced at the next successful login: it is not Argon2id,
/// or any of its costs differs from `policy`.
pub fn needs_rehash(phc: &str, policy: Policy) -> Result<bool, AuthError> {
    let _ = (phc, policy);
    todo!()
}

/// Users by email, with their password hashes.
pub struct Accounts {
    policy: Policy,
    hashes: HashMap<String, String>,
    /// A hash of nothing in particular, made with the policy: `login` verifies against it when
    /// the email is unknown, so that an unknown email costs what a wrong password costs.
    dummy: String,
}

impl Accounts {
    pub fn new(policy: Policy) -> Result<Accounts, AuthError> {
        Ok(Accounts {
            policy,
            hashes: HashMap::new(),
            dummy: hash_password("not a real password", policy)?,
        })
    }

    pub fn register(&mut self, email: &str, password: &str) -> Result<(), AuthError> {
        // TODO: refuse short passwords (count characters, not bytes) and taken emails, then
        // store the hash.
        let _ = (email, password, &mut self.hashes, self.policy);
        todo!()
    }

    /// Checks the credentials. An unknown email and a wrong password are the same
    /// `InvalidCredentials`, and take the same time: an unknown email is verified against
    /// `dummy`. After a successful login, a hash made under another policy is replaced by one
    /// made under the current policy (the only moment the server has the password).
    pub fn login(&mut self, email: &str, password: &str) -> Result<(), AuthError> {
        let _ = (email, password, &self.dummy);
        todo!()
    }

    /// The stored hash of `email` (for tests and for migrating to another store).
    pub fn stored_hash(&self, email: &str) -> Option<&str> {
        self.hashes.get(email).map(String::as_str)
    }

    /// Stores a hash as it is: for hashes imported from an older system.
    pub fn import(&mut self, email: &str, phc: &str) {
        self.hashes.insert(email.to_owned(), phc.to_owned());
    }
}
