use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_job_queue::{claim, complete, enqueue, fail, router};
use axum::http::StatusCode;
use backlings_support::within;
use backlings_support_db::db;
use backlings_support_http::http;
use serde_json::json;
use sqlx::PgPool;
use tokio::sync::Barrier;

/// Seconds until job `id` is due (negative: overdue).
async fn due_in(pool: &PgPool, id: i64) -> f64 {
    sqlx::query_scalar("SELECT EXTRACT(EPOCH FROM run_at - now())::FLOAT8 FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Skips the wait: job `id` is due now.
async fn make_due(pool: &PgPool, id: i64) {
    sqlx::query("UPDATE jobs SET run_at = now() WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
}

async fn state(pool: &PgPool, id: i64) -> (String, Option<String>) {
    sqlx::query_as("SELECT state, last_error FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_run_each_of_300_jobs_exactly_once() {
    let pool = db::isolated_pool().await;
    for n in 0..300 {
        enqueue(&pool, "email", &json!({ "n": n })).await.unwrap();
    }
    let runs: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let barrier = Arc::new(Barrier::new(3));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (pool, runs, barrier) = (pool.clone(), Arc::clone(&runs), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                while let Some(job) = claim(&pool).await.expect("claim") {
                    *runs.lock().unwrap().entry(job.id).or_default() += 1;
                    tokio::task::yield_now().await;
                    complete(&pool, job.id).await.expect("complete");
                }
            })
        })
        .collect();
    for worker in workers {
        within(Duration::from_secs(60), "a worker", worker)
            .await
            .unwrap();
    }
    let runs = runs.lock().unwrap().clone();
    let twice: Vec<_> = runs
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    assert!(
        twice.is_empty(),
        "{} jobs ran more than once (e.g. {:?}): two workers read the same queued job before \
         either marked it. Taking a job must be one statement that locks the row it picks",
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    assert_eq!(runs.len(), 300, "every job ran");
    let done: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = 'done'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(done, 300);
}

/// A test transaction holds the first job's row lock, as a worker in the middle of taking it
/// would. Another worker must take the next job at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_does_not_wait_for_a_job_another_is_taking() {
    let pool = db::isolated_pool().await;
    let first = enqueue(&pool, "email", &json!({})).await.unwrap();
    let second = enqueue(&pool, "email", &json!({})).await.unwrap();
    let mut other_worker = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM jobs WHERE id = $1 FOR UPDATE")
        .bind(first)
        .execute(&mut *other_worker)
        .await
        .unwrap();
    let taken = tokio::time::timeout(Duration::from_secs(3), claim(&pool)).await;
    other_worker.rollback().await.unwrap();
    let taken = taken.unwrap_or_else(|_| {
        panic!(
            "claim waited for a job another worker holds (3 s and counting): with many workers \
             they would all queue behind one row. Rows another transaction has locked can be \
             skipped"
        )
    });
    assert_eq!(
        taken.unwrap().map(|j| j.id),
        Some(second),
        "the next job, while the first is being taken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_due_first_is_taken_first_ties_by_id() {
    let pool = db::isolated_pool().await;
    let a = enqueue(&pool, "email", &json!({})).await.unwrap();
    let b = enqueue(&pool, "email", &json!({})).await.unwrap();
    let c = enqueue(&pool, "email", &json!({})).await.unwrap();
    sqlx::query(
        "UPDATE jobs SET run_at = CASE WHEN id = $1 THEN now() - interval '1 hour'
                                  ELSE now() - interval '1 minute' END",
    )
    .bind(c)
    .execute(&pool)
    .await
    .unwrap();
    let mut order = Vec::new();
    while let Some(job) = claim(&pool).await.unwrap() {
        order.push(job.id);
    }
    assert_eq!(
        order,
        [c, a, b],
        "the job due earliest first (it has waited longest), then by id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_is_retried_later_and_later_then_set_aside() {
    let pool = db::isolated_pool().await;
    let id = enqueue(&pool, "email", &json!({ "to": "a@example.com" }))
        .await
        .unwrap();
    let mut delays = Vec::new();
    for attempt in 1..=2 {
        let job = claim(&pool).await.unwrap().expect("the job is due");
        assert_eq!(
            (job.id, job.attempts),
            (id, attempt),
            "attempts counts the runs"
        );
        fail(&pool, id, "smtp: 421 try again later").await.unwrap();
        assert_eq!(
            state(&pool, id).await.0,
            "queued",
            "a failed job is queued again"
        );
        assert!(
            claim(&pool).await.unwrap().is_none(),
            "a job that just failed was taken again at once: a retry waits (an outage of the mail \
             server is not over a millisecond later, and retrying at once only adds load)"
        );
        delays.push(due_in(&pool, id).await);
        make_due(&pool, id).await;
    }
    assert!(
        (0.7..=1.3).contains(&delays[0]) && (1.7..=2.3).contains(&delays[1]),
        "after the 1st failure the retry is due in 1 s, after the 2nd in 2 s (exponential \
         backoff from BASE_DELAY_SECS); they were due in {:.1} s and {:.1} s",
        delays[0],
        delays[1]
    );
    let job = claim(&pool).await.unwrap().expect("the third attempt");
    assert_eq!(job.attempts, 3);
    fail(&pool, id, "smtp: 550 no such user").await.unwrap();
    assert_eq!(
        state(&pool, id).await,
        ("dead".to_owned(), Some("smtp: 550 no such user".to_owned())),
        "after max_attempts (3) runs a failing job is set aside as dead, with its last error"
    );
    make_due(&pool, id).await;
    assert!(
        claim(&pool).await.unwrap().is_none(),
        "a dead job is never taken again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_request_is_accepted_and_can_be_followed() {
    let pool = db::isolated_pool().await;
    let app = router(pool.clone());
    let res = http::post_json(&app, "/reports", json!({ "month": "2026-11" })).await;
    assert_eq!(
        res.status,
        StatusCode::ACCEPTED,
        "the report is not made yet: 202 Accepted says the request was taken, not done"
    );
    let location = res
        .header("location")
        .expect("202 says where to follow the job: a Location header")
        .to_owned();
    assert!(location.starts_with("/jobs/"), "{location}");
    assert_eq!(http::get(&app, &location).await.json()["state"], "queued");
    let job = claim(&pool).await.unwrap().expect("the report job");
    assert_eq!(
        (job.kind.as_str(), &job.payload),
        ("report", &json!({ "month": "2026-11" }))
    );
    complete(&pool, job.id).await.unwrap();
    let status = http::get(&app, &location).await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.json()["state"], "done");
    assert_eq!(
        http::get(&app, "/jobs/999999").await.status,
        StatusCode::NOT_FOUND
    );
}
