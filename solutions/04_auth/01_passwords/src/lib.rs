//! Storing passwords so that a stolen database does not give them away: Argon2id, one salt per
//! password, parameters kept in the hash, upgraded at login.

use std::collections::HashMap;

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
    let hash = hasher(policy)?
        .hash_password(password.as_bytes())
        .map_err(hashing)?;
    Ok(hash.to_string())
}

fn hasher(policy: Policy) -> Result<Argon2<'static>, AuthError> {
    let params = Params::new(
        policy.memory_kib,
        policy.iterations,
        policy.parallelism,
        None,
    )
    .map_err(hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hashing(e: impl std::fmt::Display) -> AuthError {
    AuthError::Hashing(e.to_string())
}

/// A stored Argon2 hash: a PHC string that has a hash in it (the format allows leaving it out).
fn parse(phc: &str) -> Result<PasswordHash, AuthError> {
    let hash = PasswordHash::new(phc).map_err(hashing)?;
    if hash.hash.is_none() {
        return Err(AuthError::Hashing(format!("{phc:?} has no hash")));
    }
    Ok(hash)
}

/// Whether `password` matches `phc`. The costs and the salt come from the PHC string itself, so
/// hashes made under an older policy still verify. A string that is not a valid Argon2 PHC
/// string is `Err(Hashing)`, not `Ok(false)`.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, AuthError> {
    let hash = parse(phc)?;
    // The instance's own parameters do not matter: verification uses the hash's.
    match Argon2::default().verify_password(password.as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(hashing(e)),
    }
}

/// Whether a stored hash should be replaced at the next successful login: it is not Argon2id,
/// or any of its costs differs from `policy`.
pub fn needs_rehash(phc: &str, policy: Policy) -> Result<bool, AuthError> {
    let hash = parse(phc)?;
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return Ok(true);
    }
    let params = Params::try_from(&hash).map_err(hashing)?;
    Ok((params.m_cost(), params.t_cost(), params.p_cost())
        != (policy.memory_kib, policy.iterations, policy.parallelism))
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
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AuthError::PasswordTooShort);
        }
        if self.hashes.contains_key(email) {
            return Err(AuthError::EmailTaken);
        }
        let hash = hash_password(password, self.policy)?;
        self.hashes.insert(email.to_owned(), hash);
        Ok(())
    }

    /// Checks the credentials. An unknown email and a wrong password are the same
    /// `InvalidCredentials`, and take the same time: an unknown email is verified against
    /// `dummy`. After a successful login, a hash made under another policy is replaced by one
    /// made under the current policy (the only moment the server has the password).
    pub fn login(&mut self, email: &str, password: &str) -> Result<(), AuthError> {
        let Some(stored) = self.hashes.get(email) else {
            // The same work as a wrong password, and the same answer.
            verify_password(password, &self.dummy)?;
            return Err(AuthError::InvalidCredentials);
        };
        if !verify_password(password, stored)? {
            return Err(AuthError::InvalidCredentials);
        }
        if needs_rehash(stored, self.policy)? {
            let fresh = hash_password(password, self.policy)?;
            self.hashes.insert(email.to_owned(), fresh);
        }
        Ok(())
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
