//! A second factor: time-based one-time passwords (TOTP, RFC 6238) as authenticator apps make
//! them, checked with a one-step window, never twice, and not forever.

pub use totp_rs::Algorithm;
#[allow(unused_imports)] // what you will need from totp-rs
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
    // TODO: a `Totp` from totp-rs's `Builder` with these settings (a secret it refuses is
    // `WeakSecret`), then the code it generates for that time.
    let _ = (secret, algorithm, digits, unix_time);
    todo!()
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
        let _ = secret;
        todo!()
    }

    /// Accepts `code` at `now` if it is the code of the current step or of the one just before
    /// or after (clocks and typing take time), and of a step later than any code accepted so
    /// far. MAX_FAILURES wrong codes in a row lock the factor: then every code, right or wrong,
    /// is `Locked`. An accepted code resets the count.
    pub fn verify(&mut self, code: &str, now: u64) -> Result<(), MfaError> {
        let _ = (
            code,
            now,
            &self.totp,
            &mut self.last_step,
            &mut self.failures,
        );
        todo!()
    }
}
