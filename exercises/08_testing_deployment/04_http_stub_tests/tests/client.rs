//! Your tests of `http_stub_tests::Client`. The implementation in src/lib.rs is correct: every
//! test here must pass on it, and each known bug must make one fail. Start a wiremock
//! `MockServer`, tell it what to answer and what to expect, and point the client at its
//! `uri()` (README.md shows how).

#[allow(unused_imports)]
use http_stub_tests::{ApiError, Client, Invoice, MAX_ATTEMPTS, NewInvoice};

// Your tests go here.
