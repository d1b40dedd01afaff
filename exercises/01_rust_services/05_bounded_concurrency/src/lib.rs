//! Running many jobs with at most `limit` in flight.

use std::future::Future;

#[derive(Debug, PartialEq, Eq)]
pub enum BoundError {
    /// A limit of zero could never run anything.
    ZeroLimit,
}

/// Runs `job(input)` for every input, at most `limit` at a time, and returns the outputs in
/// input order. A free slot starts the next waiting job at once (no batching).
pub async fn run_bounded<T, O, F, Fut>(
    inputs: Vec<T>,
    limit: usize,
    job: F,
) -> Result<Vec<O>, BoundError>
where
    T: Send + 'static,
    O: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: Future<Output = O> + Send + 'static,
{
    // TODO: a Semaphore with `limit` permits; for each input, acquire an owned permit, then spawn
    // the job (with its index) into a JoinSet and keep the permit alive inside the task. Collect
    // the results into their slots.
    todo!()
}
