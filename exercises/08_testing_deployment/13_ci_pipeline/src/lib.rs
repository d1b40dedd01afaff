//! The service's CI/CD pipeline as code: a GitHub Actions workflow (`src/ci.yml`), read into
//! typed structs (`workflow`) and checked by tests like any other code; and the two things a
//! runner computes from it before anything runs: the order of the jobs, and the runs a
//! matrix expands to.

pub mod workflow;

use std::collections::BTreeMap;

use serde_json::Value;
pub use workflow::{Job, Matrix, Needs, Workflow, parse};

/// The pipeline. Edit `src/ci.yml`.
pub const CI_YML: &str = include_str!("ci.yml");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    #[error("job `{job}` needs `{needs}`, which does not exist")]
    Unknown { job: String, needs: String },
    /// The jobs that can never start (in a cycle of `needs`, or after one), alphabetically.
    #[error("these jobs wait for each other forever: {0:?}")]
    Cycle(Vec<String>),
}

/// The order the jobs can run in one after another: every job after all the jobs it
/// `needs`; among the jobs that could go next, the alphabetically first.
pub fn job_order(w: &Workflow) -> Result<Vec<String>, GraphError> {
    todo!("order {} jobs", w.jobs.len())
}

/// The runs a matrix expands to, as GitHub expands them: every combination of the axes (in
/// the axes' alphabetical order, the first axis varying slowest), without the combinations an
/// `exclude` entry matches (every key it names equal), then each `include` entry added to
/// every combination it can extend without changing one of the axes' values — or, when it
/// extends none, as a combination of its own.
pub fn expand_matrix(m: &Matrix) -> Vec<BTreeMap<String, Value>> {
    todo!("expand {} axes", m.axes.len())
}
