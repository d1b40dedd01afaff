//! Your snapshot tests of `snapshot_tests::{response, confirmation_email}`. The implementation
//! in src/lib.rs is correct: every test here must pass on it, and each known bug must make one
//! fail. Record a snapshot by running, from the course folder,
//!
//!     INSTA_UPDATE=always cargo test --manifest-path exercises/Cargo.toml -p snapshot_tests
//!
//! then read the files it wrote in tests/snapshots/: they are part of your tests.

#[allow(unused_imports)]
use snapshot_tests::{Address, Line, Order, Status, confirmation_email, place, response};

// Your tests go here.
