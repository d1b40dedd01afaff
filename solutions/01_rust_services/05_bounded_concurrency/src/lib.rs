//! Running many jobs with at most `limit` in flight.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

#[derive(Debug, PartialEq, Eq)]
pub enum BoundError {
    /// A limit of zero could never run anything.
    ZeroLimit,
}

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
    if limit == 0 {
        return Err(BoundError::ZeroLimit);
    }
    let permits = Arc::new(Semaphore::new(limit));
    let mut running = JoinSet::new();
    let mut slots: Vec<Option<O>> = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.into_iter().enumerate() {
        slots.push(None);
        let permit = Arc::clone(&permits)
            .acquire_owned()
            .await
            .expect("semaphore is never closed");
        let fut = job(input);
        running.spawn(async move {
            let output = fut.await;
            drop(permit);
            (index, output)
        });
    }
    while let Some(done) = running.join_next().await {
        let (index, output) = done.expect("job panicked");
        slots[index] = Some(output);
    }
    Ok(slots
        .into_iter()
        .map(|s| s.expect("every job reported"))
        .collect())
}
