//! Tools for course authors and instructors: `verify` proves the course sound, `grade` scores a
//! learner's tree; both produce a [`report::Report`] in human, JSON or JUnit form. `deps` keeps
//! every exercise on one feature set per dependency (`exercise dev deps`, checked by verify). `one_shot` is the build profile of the
//! workspaces verify and grade build once.

pub mod deps;
pub mod grade;
mod one_shot;
pub mod progress;
pub mod report;
pub mod verify;
