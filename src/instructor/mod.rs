//! Tools for course authors and instructors: `verify` proves the course sound, `grade` scores a
//! learner's tree; both produce a [`report::Report`] in human, JSON or JUnit form. `deps` keeps
//! every exercise on one feature set per dependency (`exercise dev deps`, checked by verify).
//! Both build their copies of the exercises in synthetic workspaces (`crate::synthetic`).

pub mod deps;
pub mod grade;
pub mod progress;
pub mod report;
pub mod verify;
