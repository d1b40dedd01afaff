//! Postgres helpers for the exercises' tests: the run's database (`db`) and its query plans
//! (`plan`). Learners never need to edit this crate.
//!
//! A failure of the test harness itself (no server, a database that cannot be created) panics
//! with a message that starts `[test infrastructure]`: `exercise verify` reports a mutant
//! rejected only that way as an error of the run, not as caught by the tests.

pub mod db;
pub mod plan;

/// The fault-injection proxy, for tests that cut a Postgres connection halfway.
pub use backlings_support::fault;
