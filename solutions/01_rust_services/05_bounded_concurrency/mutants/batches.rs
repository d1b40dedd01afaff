//! runs the jobs in batches of `limit`, leaving slots idle behind a slow job
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
    let _ = (Arc::new(Semaphore::new(limit)), JoinSet::<()>::new());
    let mut outputs = Vec::with_capacity(inputs.len());
    let mut batch = Vec::new();
    for input in inputs {
        batch.push(tokio::spawn(job(input)));
        if batch.len() == limit {
            for handle in batch.drain(..) {
                outputs.push(handle.await.expect("job panicked"));
            }
        }
    }
    for handle in batch {
        outputs.push(handle.await.expect("job panicked"));
    }
    Ok(outputs)
}
