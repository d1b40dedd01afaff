use std::time::Duration;

use backlings_support_db::db;
use pg_transactions::{TransferError, transfer};
use sqlx::PgPool;

async fn bank() -> PgPool {
    let pool = db::isolated_pool().await;
    sqlx::query("INSERT INTO accounts (id, owner, balance_cents) VALUES (1, 'ada', 10000), (2, 'bob', 5000), (3, 'cy', 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

async fn balances(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT balance_cents FROM accounts ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn ledger(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM transfers")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_transfer_moves_money_and_is_recorded() {
    let pool = bank().await;
    transfer(&pool, 1, 3, 2500)
        .await
        .expect("ada can pay cy 25.00");
    assert_eq!(balances(&pool).await, [7500, 5000, 2500]);
    assert_eq!(ledger(&pool).await, 1, "every transfer is recorded");
}

#[tokio::test]
async fn an_overdraft_changes_nothing() {
    let pool = bank().await;
    assert_eq!(
        transfer(&pool, 2, 1, 5001).await,
        Err(TransferError::InsufficientFunds)
    );
    assert_eq!(balances(&pool).await, [10000, 5000, 0]);
    assert_eq!(ledger(&pool).await, 0);
}

#[tokio::test]
async fn an_unknown_destination_leaves_the_source_untouched() {
    let pool = bank().await;
    assert_eq!(
        transfer(&pool, 1, 99, 1000).await,
        Err(TransferError::UnknownAccount(99))
    );
    assert_eq!(
        balances(&pool).await,
        [10000, 5000, 0],
        "the debit must be rolled back with the failed credit: one transaction, or money vanishes"
    );
    assert_eq!(ledger(&pool).await, 0);
    assert_eq!(
        transfer(&pool, 42, 1, 1000).await,
        Err(TransferError::UnknownAccount(42))
    );
    assert_eq!(balances(&pool).await, [10000, 5000, 0]);
}

#[tokio::test]
async fn amounts_must_be_positive() {
    let pool = bank().await;
    assert_eq!(
        transfer(&pool, 1, 2, 0).await,
        Err(TransferError::InvalidAmount)
    );
    assert_eq!(
        transfer(&pool, 1, 2, -500).await,
        Err(TransferError::InvalidAmount),
        "a negative transfer would be a theft"
    );
    assert_eq!(balances(&pool).await, [10000, 5000, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_transfers_keep_the_total_and_never_deadlock() {
    let pool = bank().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24i64 {
        let pool = pool.clone();
        // Opposite directions at once: A→B and B→A lock the same two rows.
        let (from, to) = if i % 2 == 0 { (1, 2) } else { (2, 1) };
        tasks.spawn(async move {
            let mut errors = Vec::new();
            for _ in 0..5 {
                if let Err(e) = transfer(&pool, from, to, 100).await {
                    errors.push(e);
                    break; // one error per task says enough
                }
            }
            errors
        });
    }
    let errors: Vec<TransferError> = backlings_support::within(
        Duration::from_secs(10),
        "120 concurrent transfers",
        tasks.join_all(),
    )
    .await
    .into_iter()
    .flatten()
    .collect();
    assert!(
        errors.is_empty(),
        "transfers failed under concurrency (a deadlock? lock rows in id order; a pool timeout? \
         run every statement on the transaction, not on the pool): {errors:?}"
    );
    let total: i64 = balances(&pool).await.iter().sum();
    assert_eq!(total, 15000, "money is neither created nor destroyed");
    assert_eq!(ledger(&pool).await, 120);
}

/// A transfer is several statements. If the connection dies between two of them (a crash, a
/// deploy, a network cut), what was already sent must not stay: either all of the transfer
/// happened or none of it. The test cuts the connection after 0, 1, 2… round trips and checks
/// the accounts and the ledger after each cut.
#[tokio::test]
async fn a_connection_lost_halfway_leaves_no_half_transfer() {
    let pool = bank().await;
    let proxy = db::cut_proxy(&pool).await;
    for cut in 0.. {
        assert!(
            cut < 40,
            "transfer still talks to Postgres after 40 round trips"
        );
        let before = (balances(&pool).await, ledger(&pool).await);
        let via = db::pool_via(&proxy, &pool).await;
        proxy.cut_after_round_trips(cut);
        let result = transfer(&via, 1, 2, 100).await;
        let was_cut = proxy.has_cut();
        proxy.disarm();
        // Closed before the next cut is armed, so its goodbye is not counted as a round trip.
        via.close().await;
        let after = (balances(&pool).await, ledger(&pool).await);
        let done = (
            vec![before.0[0] - 100, before.0[1] + 100, before.0[2]],
            before.1 + 1,
        );
        assert!(
            after == before || after == done,
            "the connection was lost after {cut} round trip(s) of the transfer, and the database \
             kept part of it: balances {:?} → {:?}, ledger {} → {}. Run every statement of the \
             transfer in one transaction",
            before.0,
            after.0,
            before.1,
            after.1
        );
        if !was_cut {
            result.expect("the transfer succeeds when nothing is cut");
            assert_eq!(after, done);
            return;
        }
    }
}
