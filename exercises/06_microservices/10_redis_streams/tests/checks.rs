use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backlings_support_kv::kv;
use redis::AsyncCommands;
use redis::streams::{StreamPendingCountReply, StreamRangeReply};
use redis_streams::*;

/// A fresh queue on the stream `name` (its keys deleted first).
async fn queue(name: &str) -> Queue {
    let stream = format!("jobs:{name}");
    kv::forget(&[&stream, &format!("{stream}:dead")]).await;
    Queue::open(kv::connection().await, &stream, "mailers")
        .await
        .expect("the group is created")
}

fn job(i: usize) -> Job {
    Job {
        id: format!("j-{i}"),
        to: format!("user{i}@example.com"),
    }
}

async fn pending(name: &str) -> Vec<(String, String, usize)> {
    let reply: StreamPendingCountReply = kv::connection()
        .await
        .xpending_count(format!("jobs:{name}"), "mailers", "-", "+", 1000)
        .await
        .unwrap();
    reply
        .ids
        .into_iter()
        .map(|p| (p.id, p.consumer, p.times_delivered))
        .collect()
}

async fn dead_letters(name: &str) -> Vec<HashMap<String, String>> {
    let reply: StreamRangeReply = kv::connection()
        .await
        .xrange_all(format!("jobs:{name}:dead"))
        .await
        .unwrap();
    reply
        .ids
        .into_iter()
        .map(|entry| {
            entry
                .map
                .keys()
                .map(|k| (k.clone(), entry.get::<String>(k).unwrap_or_default()))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_hands_each_job_to_exactly_one_worker() {
    let q = queue("fan_out").await;
    for i in 0..200 {
        q.publish(&job(i)).await.unwrap();
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let q = q.clone();
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                loop {
                    let handled = q
                        .work(&format!("worker-{w}"), |job| {
                            seen.lock().unwrap().push((w, job.id.clone()));
                            Ok(())
                        })
                        .await
                        .unwrap();
                    if handled == 0 {
                        return;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    let mut ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(
        (seen.len(), ids.len()),
        (200, 200),
        "200 jobs, 4 workers of one group: each job handled once, by one of them (a group \
         shares the stream out; separate groups would each get everything)"
    );
    assert_eq!(
        pending("fan_out").await,
        vec![],
        "every handled job is acknowledged: nothing left pending"
    );
}

#[tokio::test]
async fn jobs_published_before_the_first_worker_are_work_too() {
    let stream = "jobs:backlog";
    kv::forget(&[stream, "jobs:backlog:dead"]).await;
    let mut conn = kv::connection().await;
    let json = serde_json::to_string(&job(1)).unwrap();
    let _: String = conn.xadd(stream, "*", &[(JOB_FIELD, json)]).await.unwrap();
    let q = Queue::open(kv::connection().await, stream, "mailers")
        .await
        .unwrap();
    let q_again = Queue::open(kv::connection().await, stream, "mailers").await;
    assert!(
        q_again.is_ok(),
        "opening the queue again (every worker does, at start) is not an error: {:?}",
        q_again.err()
    );
    let mut got = Vec::new();
    q.work("worker-1", |job| {
        got.push(job.clone());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        got,
        vec![job(1)],
        "the job was in the stream before the group existed: a group created at `$` (only \
         new entries) never delivers it"
    );
}

#[tokio::test]
async fn a_failed_job_stays_pending_with_its_consumer() {
    let q = queue("failure").await;
    q.publish(&job(1)).await.unwrap();
    q.publish(&job(2)).await.unwrap();
    let handled = q
        .work("worker-1", |job| {
            if job.id == "j-1" { Err(Failed) } else { Ok(()) }
        })
        .await
        .unwrap();
    assert_eq!(handled, 1);
    let pending = pending("failure").await;
    assert_eq!(
        pending.len(),
        1,
        "the failed job is pending, the other acknowledged: {pending:?}"
    );
    assert_eq!(
        (pending[0].1.as_str(), pending[0].2),
        ("worker-1", 1),
        "pending for the consumer that read it, delivered once: acknowledged before the work, \
         a failure would lose it"
    );
    let again = q.work("worker-2", |_| Ok(())).await.unwrap();
    assert_eq!(
        again, 0,
        "reading `>` delivers new entries only: a pending job comes back only when claimed"
    );
}

#[tokio::test]
async fn a_dead_workers_jobs_are_taken_over_once_they_are_idle() {
    let q = queue("takeover").await;
    for i in 0..5 {
        q.publish(&job(i)).await.unwrap();
    }
    // worker-1 reads all five and dies before it acknowledges any.
    q.work("worker-1", |_| Err(Failed)).await.unwrap();
    let idle = Duration::from_millis(300);
    let mut taken = Vec::new();
    let early = q
        .reclaim("worker-2", idle, 5, |job| {
            taken.push(job.id.clone());
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        (early, taken.len()),
        (0, 0),
        "worker-1 read them a moment ago: it may be working on them still. Only jobs idle for \
         `min_idle` are claimed, or two workers send the same email"
    );
    tokio::time::sleep(idle + Duration::from_millis(50)).await;
    let claimed = q
        .reclaim("worker-2", idle, 5, |job| {
            taken.push(job.id.clone());
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(claimed, 5, "after `min_idle`, worker-2 takes them over");
    taken.sort();
    assert_eq!(taken, vec!["j-0", "j-1", "j-2", "j-3", "j-4"]);
    assert_eq!(pending("takeover").await, vec![], "and acknowledges them");
}

#[tokio::test]
async fn a_large_backlog_is_claimed_whole() {
    let q = queue("backlog_claim").await;
    let jobs = BATCH * 2 + 50;
    for i in 0..jobs {
        q.publish(&job(i)).await.unwrap();
    }
    // worker-1 reads them all (a batch at a time) and dies.
    for _ in 0..10 {
        if pending("backlog_claim").await.len() == jobs {
            break;
        }
        q.work("worker-1", |_| Err(Failed)).await.unwrap();
    }
    assert_eq!(pending("backlog_claim").await.len(), jobs);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let claimed = q
        .reclaim("worker-2", Duration::from_millis(100), 5, |_| Ok(()))
        .await
        .unwrap();
    assert_eq!(
        claimed, jobs,
        "{jobs} jobs pending: XAUTOCLAIM returns at most COUNT per call and a cursor to go on \
         from; one reclaim takes them all"
    );
}

#[tokio::test]
async fn a_poison_job_is_dead_lettered_after_max_deliveries() {
    let q = queue("poison").await;
    q.publish(&job(1)).await.unwrap();
    q.publish(&job(2)).await.unwrap();
    let attempts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let handler = |attempts: Arc<Mutex<HashMap<String, usize>>>| {
        move |job: &Job| {
            *attempts.lock().unwrap().entry(job.id.clone()).or_default() += 1;
            if job.id == "j-1" { Err(Failed) } else { Ok(()) }
        }
    };
    q.work("worker-1", handler(Arc::clone(&attempts)))
        .await
        .unwrap();
    let idle = Duration::from_millis(50);
    for _ in 0..6 {
        tokio::time::sleep(idle + Duration::from_millis(20)).await;
        q.reclaim("worker-2", idle, 3, handler(Arc::clone(&attempts)))
            .await
            .unwrap();
    }
    let attempts = attempts.lock().unwrap().clone();
    assert_eq!(
        attempts.get("j-1"),
        Some(&3),
        "with max_deliveries = 3, the poison job is handled 3 times, then never again: \
         reclaimed forever, it takes a worker's time on every round and hides in the pending \
         list where nobody looks"
    );
    assert_eq!(attempts.get("j-2"), Some(&1));
    let dead = dead_letters("poison").await;
    assert_eq!(
        dead.len(),
        1,
        "the poison job is in the dead-letter stream, once: {dead:?}"
    );
    let dead_job: Job = serde_json::from_str(&dead[0][JOB_FIELD]).expect("the job, as it was");
    assert_eq!(dead_job, job(1));
    assert_eq!(
        pending("poison").await,
        vec![],
        "dead-lettered means acknowledged in the work stream: not both pending and dead"
    );
}

#[tokio::test]
async fn what_is_not_a_job_goes_to_the_dead_letters_at_once() {
    let q = queue("garbage").await;
    let mut conn = kv::connection().await;
    let _: String = conn
        .xadd("jobs:garbage", "*", &[(JOB_FIELD, "{not json")])
        .await
        .unwrap();
    let _: String = conn
        .xadd("jobs:garbage", "*", &[("other", "field")])
        .await
        .unwrap();
    let mut calls = 0;
    q.work("worker-1", |_| {
        calls += 1;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(calls, 0);
    assert_eq!(
        dead_letters("garbage").await.len(),
        2,
        "an entry that is not a job will not become one on the next delivery: dead-letter it \
         on the first"
    );
    assert_eq!(pending("garbage").await, vec![]);
}
