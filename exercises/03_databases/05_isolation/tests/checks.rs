use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support_db::db;
use pg_isolation::{MAX_ATTEMPTS, UpdateError, update_locked, update_serializable};
use sqlx::PgPool;

const TASKS: i64 = 20;

async fn wallet(balance: i64) -> PgPool {
    let pool = db::isolated_pool().await;
    sqlx::query("INSERT INTO wallets (id, balance) VALUES (1, $1)")
        .bind(balance)
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn balance(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT balance FROM wallets WHERE id = 1")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The business rule, computed in Rust between the read and the write. The pause stands for real
/// work (a price lookup, a fraud check); it makes concurrent read-modify-writes overlap, which is
/// exactly when updates get lost.
fn add_ten(b: i64) -> Result<i64, String> {
    std::thread::sleep(Duration::from_millis(5));
    Ok(b + 10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn locked_updates_lose_nothing() {
    let pool = wallet(0).await;
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { update_locked(&pool, 1, add_ten).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("every locked update succeeds");
    }
    assert_eq!(
        balance(&pool).await,
        TASKS * 10,
        "{TASKS} concurrent +10s: anything less is a lost update (two tasks read the same balance)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serializable_updates_lose_nothing_and_retry_conflicts() {
    let pool = wallet(0).await;
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { update_serializable(&pool, 1, add_ten).await })
        })
        .collect();
    let mut attempts = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(done) => attempts += done.attempts,
            Err(e) => panic!("a serialization failure must be retried, not returned: {e:?}"),
        }
    }
    assert_eq!(balance(&pool).await, TASKS * 10, "no lost update");
    assert!(
        attempts > TASKS as u32,
        "{TASKS} overlapping SERIALIZABLE transactions conflict: some must have been retried \
         (counted {attempts} attempts). Is the transaction really SERIALIZABLE, without FOR UPDATE?"
    );
}

#[tokio::test]
async fn a_rejection_is_returned_at_once_and_changes_nothing() {
    let pool = wallet(50).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let rule = {
        let calls = calls.clone();
        move |b: i64| {
            calls.fetch_add(1, Ordering::SeqCst);
            if b < 100 {
                Err("not enough".to_owned())
            } else {
                Ok(b - 100)
            }
        }
    };
    assert!(
        matches!(update_locked(&pool, 1, &rule).await, Err(UpdateError::Rejected(m)) if m == "not enough")
    );
    assert!(matches!(
        update_serializable(&pool, 1, &rule).await,
        Err(UpdateError::Rejected(_))
    ));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "a business rejection is not retried"
    );
    assert_eq!(balance(&pool).await, 50);
}

#[tokio::test]
async fn unknown_wallets_are_not_found() {
    let pool = wallet(0).await;
    assert!(matches!(
        update_locked(&pool, 9, add_ten).await,
        Err(UpdateError::NotFound)
    ));
    assert!(matches!(
        update_serializable(&pool, 9, add_ten).await,
        Err(UpdateError::NotFound)
    ));
}

#[tokio::test]
async fn an_update_without_contention_takes_one_attempt() {
    let pool = wallet(5).await;
    let done = update_serializable(&pool, 1, |b| Ok(b * 2))
        .await
        .expect("update");
    assert_eq!((done.balance, done.attempts), (10, 1));
    assert_eq!(update_locked(&pool, 1, |b| Ok(b + 1)).await.unwrap(), 11);
    const {
        assert!(
            MAX_ATTEMPTS >= 10,
            "give contended updates a fair number of attempts"
        )
    };
}
