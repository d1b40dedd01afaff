//! HTTP helpers for the exercises' tests: drive an axum `Router` in-process (`http`) and check
//! an OpenAPI document's structure (`openapi`). Learners never need to edit this crate.

pub mod http;
pub mod openapi;
