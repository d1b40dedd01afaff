use std::sync::Arc;
use std::time::Duration;

use backlings_support::fault::CutProxy;
use backlings_support::within;
use backlings_support_db::db;
use read_your_writes::{Position, ReadRouter};
use sqlx::PgPool;

/// A primary and a replica, each a database of its own. Replication is played by the test:
/// `catch_up` copies the primary as of one moment and records the primary's log position of
/// that moment, as a standby's `pg_last_wal_replay_lsn()` would report it. Between two
/// catch-ups the replica lags, for as long as the test wants.
struct Setup {
    primary: PgPool,
    replica: PgPool,
}

impl Setup {
    async fn new() -> Setup {
        Setup {
            primary: db::isolated_pool().await,
            replica: db::isolated_pool().await,
        }
    }

    /// Brings the replica up to the primary as of now.
    async fn catch_up(&self) {
        // The position first, the snapshot after it: everything committed before the position
        // is in the snapshot, so the replica never claims a write it does not have.
        let position: i64 =
            sqlx::query_scalar("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
                .fetch_one(&self.primary)
                .await
                .expect("[test infrastructure] the primary's position");
        let mut snapshot = self.primary.begin().await.unwrap();
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .execute(&mut *snapshot)
            .await
            .unwrap();
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT user_id, bio FROM profiles")
            .fetch_all(&mut *snapshot)
            .await
            .expect("[test infrastructure] read the primary");
        snapshot.commit().await.unwrap();

        let mut apply = self.replica.begin().await.unwrap();
        sqlx::query("DELETE FROM profiles")
            .execute(&mut *apply)
            .await
            .unwrap();
        let (users, bios): (Vec<i64>, Vec<String>) = rows.into_iter().unzip();
        sqlx::query("INSERT INTO profiles SELECT * FROM UNNEST($1::bigint[], $2::text[])")
            .bind(users)
            .bind(bios)
            .execute(&mut *apply)
            .await
            .expect("[test infrastructure] apply to the replica");
        sqlx::query("UPDATE replication_state SET position = GREATEST(position, $1)")
            .bind(position)
            .execute(&mut *apply)
            .await
            .unwrap();
        apply.commit().await.unwrap();
    }

    /// What the replica holds for `user` now.
    async fn on_replica(&self, user: i64) -> Option<String> {
        sqlx::query_scalar("SELECT bio FROM profiles WHERE user_id = $1")
            .bind(user)
            .fetch_optional(&self.replica)
            .await
            .unwrap()
    }
}

const BUDGET: Duration = Duration::from_millis(200);

/// The router on connections through fault proxies, which count what each server was asked.
struct Routed {
    primary: CutProxy,
    replica: CutProxy,
    router: Arc<ReadRouter>,
}

async fn routed(setup: &Setup) -> Routed {
    let primary = db::cut_proxy(&setup.primary).await;
    let replica = db::cut_proxy(&setup.replica).await;
    let router = ReadRouter::new(
        db::pool_via(&primary, &setup.primary).await,
        db::pool_via(&replica, &setup.replica).await,
        BUDGET,
    );
    Routed {
        primary,
        replica,
        router: Arc::new(router),
    }
}

impl Routed {
    async fn settled(&self) -> (usize, usize) {
        (
            self.primary.settled_round_trips().await,
            self.replica.settled_round_trips().await,
        )
    }

    /// Reads, and says which servers were asked.
    async fn read(&self, after: Option<Position>, user: i64) -> (Option<String>, Asked) {
        let (p, r) = self.settled().await;
        let bio = within(Duration::from_secs(10), "bio", self.router.bio(after, user))
            .await
            .unwrap_or_else(|e| panic!("bio({after:?}, {user}): {e}"));
        let (p_after, r_after) = self.settled().await;
        let asked = Asked {
            primary: p_after > p,
            replica: r_after > r,
        };
        (bio, asked)
    }
}

#[derive(Debug, PartialEq)]
struct Asked {
    primary: bool,
    replica: bool,
}

#[tokio::test]
async fn you_read_your_own_write_at_once_while_others_read_the_replica() {
    let setup = Setup::new().await;
    let r = routed(&setup).await;
    r.router.set_bio(1, "hello").await.unwrap();
    setup.catch_up().await;

    // The replica stops applying; alice writes.
    let alice = r.router.set_bio(1, "I moved to Lisbon").await.unwrap();
    assert_eq!(setup.on_replica(1).await.as_deref(), Some("hello"));

    let (bio, _) = r.read(Some(alice), 1).await;
    assert_eq!(
        bio.as_deref(),
        Some("I moved to Lisbon"),
        "alice reads her profile right after changing it, with the position her write returned: the replica has not applied it yet, so the read must go to the primary"
    );
    let (bio, asked) = r.read(None, 1).await;
    assert_eq!(
        asked,
        Asked {
            primary: false,
            replica: true
        },
        "a reader who wrote nothing is served by the replica, lag and all: that is the load the replica exists to take"
    );
    assert_eq!(
        bio.as_deref(),
        Some("hello"),
        "the replica is behind: others may see the old bio for a while"
    );
    assert_eq!(
        r.read(None, 2).await.0,
        None,
        "a user with no profile has none"
    );

    setup.catch_up().await;
    let (bio, asked) = r.read(Some(alice), 1).await;
    assert_eq!(bio.as_deref(), Some("I moved to Lisbon"));
    assert_eq!(
        asked,
        Asked {
            primary: false,
            replica: true
        },
        "once the replica has applied alice's write, her reads go back to the replica: pinning a writer to the primary for good (or for a fixed time) sends every active user's reads to the primary"
    );
}

#[tokio::test]
async fn whenever_the_replica_copies_during_a_write_the_writer_still_reads_it() {
    let setup = Setup::new().await;
    let r = routed(&setup).await;
    // The replica copies the primary while the write's n-th request is held: before the
    // statement, between it and the position, and so on. Whatever moment the copy saw, the
    // writer's next read must see the write.
    for n in 0.. {
        let bio = format!("version {n}");
        r.primary.hold_after_round_trips(n);
        let write = {
            let (router, bio) = (Arc::clone(&r.router), bio.clone());
            tokio::spawn(async move { router.set_bio(7, &bio).await })
        };
        let held = r.primary.held_within(Duration::from_secs(2)).await;
        if held {
            setup.catch_up().await;
        }
        r.primary.release();
        let token = within(Duration::from_secs(10), "set_bio", write)
            .await
            .unwrap()
            .unwrap();
        let (read, _) = r.read(Some(token), 7).await;
        assert_eq!(
            read.as_deref(),
            Some(bio.as_str()),
            "the replica copied the primary while set_bio's request {n} was held; the writer then read {read:?}: the position must be taken after the write committed (a position from before it lets a replica that missed the write look fresh)"
        );
        if !held {
            break;
        }
        assert!(n < 20, "set_bio never finished");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_writers_each_read_their_own_writes_while_the_replica_lags() {
    let setup = Arc::new(Setup::new().await);
    let router = Arc::new(ReadRouter::new(
        setup.primary.clone(),
        setup.replica.clone(),
        BUDGET,
    ));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Each copy is announced: the writers wait for one between their edits, so the replica
    // catches up in the middle of the writes however loaded the machine is.
    let (copied, copies_seen) = tokio::sync::watch::channel(0u32);
    let copier = {
        let (setup, done) = (Arc::clone(&setup), Arc::clone(&done));
        tokio::spawn(async move {
            let mut copies = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                setup.catch_up().await;
                copies += 1;
                copied.send_replace(copies);
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
            copies
        })
    };
    let barrier = Arc::new(tokio::sync::Barrier::new(16));
    let writers: Vec<_> = (0..16)
        .map(|user| {
            let (router, barrier) = (Arc::clone(&router), Arc::clone(&barrier));
            let mut copies = copies_seen.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                for i in 0..15 {
                    copies.borrow_and_update();
                    let bio = format!("user {user}, edit {i}");
                    let token = router.set_bio(user, &bio).await.unwrap();
                    let read = router.bio(Some(token), user).await.unwrap();
                    assert_eq!(
                        read.as_deref(),
                        Some(bio.as_str()),
                        "user {user} wrote {bio:?} and read back {read:?} while the replica lagged behind 16 writers"
                    );
                    within(Duration::from_secs(5), "the next copy", copies.changed())
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        within(Duration::from_secs(60), "the writers", w)
            .await
            .unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let copies = copier.await.unwrap();
    assert!(copies > 3, "the replica copied {copies} times");
}

#[tokio::test]
async fn a_replica_that_is_down_costs_nothing_but_its_load() {
    let setup = Setup::new().await;
    let r = routed(&setup).await;
    r.router.set_bio(3, "before").await.unwrap();
    setup.catch_up().await;
    let mine = r.router.set_bio(3, "after").await.unwrap();

    r.replica.cut_after_round_trips(0);
    r.replica.cut_now();
    for (after, what) in [
        (None, "a reader without a write"),
        (Some(mine), "the writer"),
    ] {
        let (bio, asked) = r.read(after, 3).await;
        assert_eq!(
            bio.as_deref(),
            Some("after"),
            "with the replica down, {what} is answered by the primary"
        );
        assert!(asked.primary, "{what}: the primary answers");
    }
}

#[tokio::test]
async fn a_hung_replica_is_given_a_budget_then_the_primary_answers() {
    let setup = Setup::new().await;
    let r = routed(&setup).await;
    r.router.set_bio(4, "on both").await.unwrap();
    setup.catch_up().await;

    // The replica accepts the question and never answers (a long vacuum, a saturated disk).
    r.replica.hold_after_round_trips(0);
    let started = std::time::Instant::now();
    let bio = within(
        BUDGET * 5,
        "a read with the replica hung (the router's replica budget is 200 ms)",
        r.router.bio(None, 4),
    )
    .await
    .unwrap();
    assert_eq!(bio.as_deref(), Some("on both"));
    assert!(
        started.elapsed() >= BUDGET,
        "the primary answered after {:?}: the replica should have had its budget first",
        started.elapsed()
    );
    r.replica.release();
}
