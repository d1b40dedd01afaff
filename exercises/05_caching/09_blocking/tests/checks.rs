use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use backlings_support::{Gauge, within};
use offload_blocking::{Render, RenderError, Renderer};

/// On ONE thread (tokio's current-thread runtime, as in many tests and small services): a
/// heartbeat task ticks while an image renders. The render itself waits until it has seen the
/// heartbeat tick — which can only happen if the render is not running on the runtime's thread.
#[tokio::test]
async fn other_tasks_keep_running_while_an_image_renders() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let heartbeat = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            loop {
                ticks.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let starved = Arc::new(AtomicBool::new(false));
    let render: Render = {
        let (ticks, starved) = (Arc::clone(&ticks), Arc::clone(&starved));
        Arc::new(move |image: &[u8]| {
            let seen = ticks.load(Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(3);
            while ticks.load(Ordering::SeqCst) < seen + 3 {
                if Instant::now() > deadline {
                    starved.store(true, Ordering::SeqCst);
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            image.iter().rev().copied().collect()
        })
    };
    let renderer = Renderer::new(2, render);
    let thumb = within(
        Duration::from_secs(10),
        "the render",
        renderer.thumbnail(vec![1, 2, 3]),
    )
    .await
    .expect("renders");
    heartbeat.abort();
    assert_eq!(thumb, [3, 2, 1]);
    assert!(
        !starved.load(Ordering::SeqCst),
        "no other task ran for 3 s while the image rendered: synchronous CPU work inside an \
         async fn runs on the runtime's thread and stops every task scheduled there (here, a \
         heartbeat; in a server, every other request). Hand it to the threads meant for \
         blocking work"
    );
}

/// 10 thumbnails at once with max_parallel = 2: two renders at a time, not ten and not one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_max_parallel_renders_run_at_once() {
    let renders = Arc::new(Gauge::default());
    let render: Render = {
        let renders = Arc::clone(&renders);
        Arc::new(move |image: &[u8]| {
            let _running = renders.enter();
            std::thread::sleep(Duration::from_millis(30));
            image.to_vec()
        })
    };
    let renderer = Arc::new(Renderer::new(2, render));
    let tasks: Vec<_> = (0..10u8)
        .map(|i| {
            let renderer = Arc::clone(&renderer);
            tokio::spawn(async move { renderer.thumbnail(vec![i]).await })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let thumb = within(Duration::from_secs(10), "a render", task)
            .await
            .unwrap();
        assert_eq!(thumb, Ok(vec![i as u8]));
    }
    let most = renders.peak();
    assert!(
        most <= 2,
        "{most} renders ran at once with max_parallel = 2: a burst of uploads would start as \
         many CPU-heavy renders as there are requests, on as many threads, and slow them all. \
         A semaphore's permit must be held for the whole render (`let _ = …` drops it at once)"
    );
    assert_eq!(
        most, 2,
        "two renders may run side by side: one at a time wastes a core"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_that_panics_fails_that_request_only() {
    let render: Render = Arc::new(|image: &[u8]| {
        assert!(!image.is_empty(), "a corrupt image: the decoder panics");
        image.to_vec()
    });
    let renderer = Arc::new(Renderer::new(1, render));
    let failed = tokio::spawn({
        let renderer = Arc::clone(&renderer);
        async move { renderer.thumbnail(Vec::new()).await }
    })
    .await;
    assert_eq!(
        failed.ok(),
        Some(Err(RenderError::Failed)),
        "a render that panicked took its caller down with it: the blocking task's panic \
         arrives as an error from its JoinHandle — turn it into RenderError::Failed"
    );
    let next = within(
        Duration::from_secs(5),
        "the next render",
        renderer.thumbnail(vec![7]),
    )
    .await;
    assert_eq!(
        next,
        Ok(vec![7]),
        "after a failed render the renderer still works (its slot was given back)"
    );
}
