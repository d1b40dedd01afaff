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

pub fn job_order(w: &Workflow) -> Result<Vec<String>, GraphError> {
    for (job, spec) in &w.jobs {
        if let Some(missing) = spec
            .needs
            .names()
            .into_iter()
            .find(|n| !w.jobs.contains_key(*n))
        {
            return Err(GraphError::Unknown {
                job: job.clone(),
                needs: missing.to_owned(),
            });
        }
    }
    // Kahn's algorithm; the jobs map is sorted, so "the first ready one" is alphabetical.
    let mut done: Vec<String> = Vec::new();
    loop {
        let next = w.jobs.iter().find(|(name, spec)| {
            !done.contains(name)
                && spec
                    .needs
                    .names()
                    .iter()
                    .all(|n| done.iter().any(|d| d == n))
        });
        match next {
            Some((name, _)) => done.push(name.clone()),
            None => break,
        }
    }
    if done.len() == w.jobs.len() {
        Ok(done)
    } else {
        Err(GraphError::Cycle(
            w.jobs
                .keys()
                .filter(|j| !done.contains(j))
                .cloned()
                .collect(),
        ))
    }
}

pub fn expand_matrix(m: &Matrix) -> Vec<BTreeMap<String, Value>> {
    let mut runs: Vec<BTreeMap<String, Value>> = vec![BTreeMap::new()];
    if m.axes.is_empty() {
        runs.clear();
    }
    for (axis, values) in &m.axes {
        runs = runs
            .into_iter()
            .flat_map(|run| {
                values.iter().map(move |v| {
                    let mut run = run.clone();
                    run.insert(axis.clone(), v.clone());
                    run
                })
            })
            .collect();
    }
    runs.retain(|run| {
        !m.exclude
            .iter()
            .any(|ex| ex.iter().all(|(k, v)| run.get(k) == Some(v)))
    });
    // What the axes gave a run may not be changed by an include; what an earlier include
    // added may.
    let originals: Vec<BTreeMap<String, Value>> = runs.clone();
    for inc in &m.include {
        let mut extended = false;
        for (run, original) in runs.iter_mut().zip(&originals) {
            let overwrites = inc
                .iter()
                .any(|(k, v)| original.get(k).is_some_and(|o| o != v));
            if !overwrites {
                run.extend(inc.iter().map(|(k, v)| (k.clone(), v.clone())));
                extended = true;
            }
        }
        if !extended {
            runs.push(inc.clone());
        }
    }
    runs
}
