//! Your tests of `property_tests::{encode, decode}`. The implementation in src/lib.rs is
//! correct: every test here must pass on it, and each known bug must make one fail. Example
//! tests will catch some bugs; the rest hide in inputs you would not think to write down —
//! let proptest generate them (README.md shows how).

#[allow(unused_imports)]
use property_tests::{DecodeError, Part, decode, encode};

// Your tests go here.
