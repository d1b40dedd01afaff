//! HTTP helpers for the exercises' tests: drive an axum `Router` in-process (`http`), serve one
//! on 127.0.0.1 for code that calls it over the network (`server`), and check an OpenAPI
//! document's structure (`openapi`). Learners never need to edit this crate.

pub mod http;
pub mod openapi;
pub mod server;
