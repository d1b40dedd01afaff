//! Redis helpers for the exercises' tests. Learners never need to edit this crate.

pub mod kv;
