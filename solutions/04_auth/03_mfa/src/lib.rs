//! A second factor: time-based one-time passwords (TOTP, RFC 6238) as authenticator apps make
//! them, checked with a one-step window, never twice, and not forever.

pub use totp_rs::Algorithm;
use totp_rs::{Builder, Totp};

/// Authenticator apps show a new code every 30 seconds.
pub const STEP_SECS: u64 = 30;
/// Six digits: what every authenticator app shows.
pub const DIGITS: u8 = 6;
/// Wrong codes in a row after which the factor locks: six digits are only a million guesses.
pub const MAX_FAILURES: u32 = 5;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MfaError {
    /// RFC 4226 §4: the shared secret has at least 128 bits (160 recommended).
    #[error("the secret must have at least 16 bytes")]
    WeakSecret,
    #[error("wrong code")]
    Invalid,
    /// A code (or an older one) that was already used: someone else may have seen it.
    #[error("this code was already used")]
    Replayed,
    #[error("too many wrong codes: the second factor is locked")]
    Locked,
}

/// The code for `unix_time`: HMAC-`algorithm` over the 30-second step, `digits` long.
pub fn code_at(
    secret: &[u8],
    algorithm: Algorithm,
    digits: u8,
    unix_time: u64,
) -> Result<String, MfaError> {
    Ok(totp(secret, algorithm, digits)?
        .generate(unix_time)
        .to_string())
}

fn totp(secret: &[u8], algorithm: Algorithm, digits: u8) -> Result<Totp, MfaError> {
    Builder::new()
        .with_algorithm(algorithm)
        .with_digits(digits)
        .with_step_duration(STEP_SECS)
        .with_skew(1)
        .with_secret(secret.to_vec())
        .build()
        .map_err(|_| MfaError::WeakSecret)
}

/// One user's enrolled second factor: SHA-1, DIGITS digits, STEP_SECS steps (what apps use).
pub struct SecondFactor {
    totp: Totp,
    /// The step of the last code accepted: that code, and every older one, is spent.
    last_step: Option<u64>,
    failures: u32,
}

impl SecondFactor {
    pub fn new(secret: &[u8]) -> Result<SecondFactor, MfaError> {
        Ok(SecondFactor {
            totp: totp(secret, Algorithm::SHA1, DIGITS)?,
            last_step: None,
            failures: 0,
        })
    }

    /// Accepts `code` at `now` if it is the code of the current step or of the one just before
    /// or after (clocks and typing take time), and of a step later than any code accepted so
    /// far. MAX_FAILURES wrong codes in a row lock the factor: then every code, right or wrong,
    /// is `Locked`. An accepted code resets the count.
    pub fn verify(&mut self, code: &str, now: u64) -> Result<(), MfaError> {
        if self.failures >= MAX_FAILURES {
            return Err(MfaError::Locked);
        }
        let Some(step) = self.totp.check(code, now) else {
            self.failures += 1;
            return Err(MfaError::Invalid);
        };
        if self.last_step.is_some_and(|last| step <= last) {
            return Err(MfaError::Replayed);
        }
        self.last_step = Some(step);
        self.failures = 0;
        Ok(())
    }
}
