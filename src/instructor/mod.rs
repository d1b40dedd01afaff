//! Tools for course authors and instructors: `verify` proves the course sound, `grade` scores a
//! learner's tree; both produce a [`report::Report`] in human, JSON or JUnit form.

pub mod grade;
pub mod progress;
pub mod report;
pub mod verify;
