//! Postgres helpers for the exercises' tests: the run's database (`db`) and its query plans
//! (`plan`). Learners never need to edit this crate.

pub mod db;
pub mod plan;
