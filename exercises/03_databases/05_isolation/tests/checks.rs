use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support_db::db;
use pg_isolation::{
    MAX_ATTEMPTS, UpdateError, update_locked, update_serializable, withdraw_serializable,
};
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

/// Write skew: the rule reads both wallets of an owner and each withdrawal writes only one, so
/// no two transactions update the same row. REPEATABLE READ lets both withdrawals pass the check
/// on the same snapshot (a lost update on one row it would have refused with 40001); only
/// SERIALIZABLE sees that the two reads and writes cannot be put in any serial order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_withdrawals_from_two_wallets_cannot_overdraw_their_owner() {
    let pool = db::isolated_pool().await;
    sqlx::query("INSERT INTO wallets (id, owner, balance) VALUES (1, 7, 0), (2, 7, 0)")
        .execute(&pool)
        .await
        .unwrap();
    // Open the connections first, so both transactions start at the same moment.
    let warm: Vec<_> = hold_connections(&pool, 4).await;
    drop(warm);
    for round in 1..=15 {
        sqlx::query("UPDATE wallets SET balance = 50 WHERE owner = 7")
            .execute(&pool)
            .await
            .unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(2));
        let tasks: Vec<_> = [1, 2]
            .into_iter()
            .map(|wallet| {
                let (pool, start) = (pool.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    withdraw_serializable(&pool, wallet, 60).await
                })
            })
            .collect();
        let mut granted = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => granted += 1,
                Err(UpdateError::Rejected(m)) => assert_eq!(m, "not enough"),
                Err(e) => panic!("round {round}: a serialization failure must be retried: {e:?}"),
            }
        }
        let total: i64 =
            sqlx::query_scalar("SELECT sum(balance)::BIGINT FROM wallets WHERE owner = 7")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            (granted, total),
            (1, 40),
            "round {round}: the owner holds 100 over two wallets, and two tasks withdrew 60 at once, \
             one from each wallet: exactly one may succeed. Both passing the check is write skew \
             (is the transaction SERIALIZABLE, not REPEATABLE READ?)"
        );
    }
}

/// Holds `n` connections of `pool` at once, so the pool has them open.
async fn hold_connections(
    pool: &PgPool,
    n: usize,
) -> Vec<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(pool.acquire().await.unwrap());
    }
    held
}

#[tokio::test]
async fn a_withdrawal_may_take_one_wallet_below_zero_but_never_the_owner() {
    let pool = db::isolated_pool().await;
    sqlx::query(
        "INSERT INTO wallets (id, owner, balance) VALUES (1, 7, 30), (2, 7, 30), (3, 8, 500)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let done = withdraw_serializable(&pool, 1, 60)
        .await
        .expect("60 of the owner's 60");
    assert_eq!(
        (done.balance, done.attempts),
        (-30, 1),
        "wallet 2 covers wallet 1; another owner's money never counts"
    );
    assert!(matches!(
        withdraw_serializable(&pool, 2, 1).await,
        Err(UpdateError::Rejected(m)) if m == "not enough"
    ));
    assert!(matches!(
        withdraw_serializable(&pool, 9, 1).await,
        Err(UpdateError::NotFound)
    ));
}
