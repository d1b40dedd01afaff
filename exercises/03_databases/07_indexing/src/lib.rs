//! This exercise is written in SQL: the indexes go in `migrations/0002_indexes.sql`.
//! The tests (tests/checks.rs) load data, run `EXPLAIN (FORMAT JSON)` on three queries and read
//! the plans Postgres chooses.
