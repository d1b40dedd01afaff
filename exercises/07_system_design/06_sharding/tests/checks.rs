use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use backlings_support::fault::CutProxy;
use backlings_support::within;
use backlings_support_db::db;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use sharding::{Cursor, Invoice, Page, ShardedInvoices};
use sqlx::PgPool;

/// Shards, each a database of its own, and one more database holding every invoice: the
/// oracle. Whatever the sharded store answers, one database would have answered the same.
struct Setup {
    shards: Vec<PgPool>,
    oracle: PgPool,
}

impl Setup {
    async fn new(shards: usize) -> Setup {
        let mut pools = Vec::new();
        for _ in 0..shards {
            pools.push(db::isolated_pool().await);
        }
        Setup {
            shards: pools,
            oracle: db::isolated_pool().await,
        }
    }

    fn store(&self) -> ShardedInvoices {
        ShardedInvoices::new(self.shards.clone())
    }

    /// Stores `invoices` through the sharded store, in the order given, and in the oracle.
    async fn load(&self, store: &ShardedInvoices, invoices: &[Invoice]) {
        for invoice in invoices {
            store
                .insert(invoice)
                .await
                .unwrap_or_else(|e| panic!("insert {invoice:?}: {e}"));
        }
        let column = |f: fn(&Invoice) -> i64| invoices.iter().map(f).collect::<Vec<i64>>();
        sqlx::query(
            "INSERT INTO invoices (tenant_id, id, amount_cents, created_ms) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])",
        )
        .bind(column(|i| i.tenant_id))
        .bind(column(|i| i.id))
        .bind(column(|i| i.amount_cents))
        .bind(column(|i| i.created_ms))
        .execute(&self.oracle)
        .await
        .expect("[test infrastructure] fill the oracle");
    }

    async fn oracle(&self, sql: &str) -> Vec<Invoice> {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&self.oracle)
            .await
            .expect("[test infrastructure] ask the oracle")
    }
}

/// `per_tenant` invoices for each of `tenants` tenants, in a shuffled order, with amounts and
/// times from small ranges: many ties, within a shard and across shards.
fn invoices(seed: u64, tenants: i64, per_tenant: i64) -> Vec<Invoice> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut all = Vec::new();
    for t in 0..tenants {
        for id in 1..=per_tenant {
            all.push(Invoice {
                tenant_id: 1_000 + t * 37,
                id,
                amount_cents: rng.random_range(0..40) * 250,
                created_ms: 1_700_000_000_000 + rng.random_range(0..60) * 1_000,
            });
        }
    }
    all.shuffle(&mut rng);
    all
}

async fn tenants_on(shard: &PgPool) -> BTreeSet<i64> {
    sqlx::query_scalar("SELECT DISTINCT tenant_id FROM invoices")
        .fetch_all(shard)
        .await
        .expect("[test infrastructure] read a shard directly")
        .into_iter()
        .collect()
}

/// Each shard behind a fault proxy, on a one-connection pool through it.
async fn behind_proxies(setup: &Setup) -> (Vec<CutProxy>, ShardedInvoices) {
    let mut proxies = Vec::new();
    let mut pools = Vec::new();
    for shard in &setup.shards {
        let proxy = db::cut_proxy(shard).await;
        pools.push(db::pool_via(&proxy, shard).await);
        proxies.push(proxy);
    }
    for proxy in &proxies {
        proxy.settled_round_trips().await;
    }
    (proxies, ShardedInvoices::new(pools))
}

/// A pool on a server that is gone: every connection is refused (after a short wait).
fn lost_shard() -> PgPool {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("[test infrastructure] a free port")
        .port();
    sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy_with(
            sqlx::postgres::PgConnectOptions::new()
                .host("127.0.0.1")
                .port(port),
        )
}

#[tokio::test]
async fn each_tenant_lives_on_one_shard_and_every_process_agrees_which() {
    let setup = Setup::new(4).await;
    let store = setup.store();
    let all = invoices(1, 60, 5);
    setup.load(&store, &all).await;

    let mut seen = BTreeMap::new();
    for (n, shard) in setup.shards.iter().enumerate() {
        for tenant in tenants_on(shard).await {
            if let Some(other) = seen.insert(tenant, n) {
                panic!(
                    "tenant {tenant} has invoices on shard {other} and on shard {n}: all of a tenant's rows must go to its one shard"
                );
            }
            assert_eq!(
                store.shard_of(tenant),
                n,
                "tenant {tenant}'s invoices are on shard {n}, but shard_of says otherwise"
            );
        }
    }
    assert_eq!(seen.len(), 60, "every tenant's invoices were stored");
    let per_shard: Vec<usize> = (0..4)
        .map(|n| seen.values().filter(|&&s| s == n).count())
        .collect();
    assert!(
        per_shard.iter().all(|&c| c >= 6),
        "60 tenants over 4 shards came out {per_shard:?}: the routing should spread tenants over every shard"
    );

    // Another process (another instance of the app, tomorrow's deploy) must route the same way,
    // or it looks for a tenant on the wrong shard.
    let other_process = ShardedInvoices::new(setup.shards.clone());
    for tenant in (0..10_000).map(|i| i * 7_919 - 30_000_000) {
        assert_eq!(
            other_process.shard_of(tenant),
            store.shard_of(tenant),
            "two stores over the same shards route tenant {tenant} differently: the hash must not depend on the process (std's RandomState is seeded at random)"
        );
    }
    for tenant in [1_000, 1_000 + 37 * 59] {
        let expected = setup
            .oracle(&format!(
                "SELECT * FROM invoices WHERE tenant_id = {tenant} ORDER BY id"
            ))
            .await;
        assert_eq!(
            other_process.for_tenant(tenant).await.unwrap(),
            expected,
            "tenant {tenant}'s invoices by id, read through another store"
        );
    }
    assert!(
        store.for_tenant(42).await.unwrap().is_empty(),
        "a tenant without invoices has none"
    );
}

#[tokio::test]
async fn a_tenants_reads_and_writes_touch_its_shard_alone() {
    let setup = Setup::new(3).await;
    let (proxies, store) = behind_proxies(&setup).await;
    let tenant = 1_037;
    let home = store.shard_of(tenant);
    let before: Vec<usize> = proxies.iter().map(CutProxy::round_trips).collect();
    for id in 1..=3 {
        store
            .insert(&Invoice {
                tenant_id: tenant,
                id,
                amount_cents: 100 * id,
                created_ms: id,
            })
            .await
            .unwrap();
    }
    let found = store.for_tenant(tenant).await.unwrap();
    assert_eq!(
        found.iter().map(|i| i.id).collect::<Vec<_>>(),
        [1, 2, 3],
        "the tenant's invoices by id"
    );
    for (n, proxy) in proxies.iter().enumerate() {
        let spoken = proxy.round_trips() - before[n];
        if n == home {
            assert!(spoken > 0, "the tenant's own shard {n} was never asked");
        } else {
            assert_eq!(
                spoken, 0,
                "shard {n} does not hold tenant {tenant} (shard {home} does), yet it was asked {spoken} times: a tenant's queries go to its shard alone, so each shard carries only its tenants' load and an outage of one shard stops only its tenants"
            );
        }
    }
}

const TOP: &str = "SELECT * FROM invoices ORDER BY amount_cents DESC, tenant_id, id";

#[tokio::test]
async fn top_k_equals_one_database_even_when_one_shard_holds_all_the_largest() {
    let setup = Setup::new(4).await;
    let store = setup.store();
    let mut all = invoices(2, 40, 50);
    // One big customer: its 60 invoices are larger than anybody's, and all on its one shard.
    all.extend((1..=60).map(|id| Invoice {
        tenant_id: 7,
        id,
        amount_cents: 1_000_000 + (id % 7) * 100,
        created_ms: id,
    }));
    setup.load(&store, &all).await;

    for k in [1, 5, 10, 37, 60, 61, 100, 500, 2_100, 3_000] {
        let expected = setup.oracle(&format!("{TOP} LIMIT {k}")).await;
        let got = store.top_by_amount(k).await.unwrap();
        if got.len() != expected.len() {
            panic!(
                "top {k} of {} invoices: expected {} invoices, got {}",
                all.len(),
                expected.len(),
                got.len()
            );
        }
        if let Some(at) = (0..got.len()).find(|&i| got[i] != expected[i]) {
            panic!(
                "top {k}: position {at} should be {:?}, got {:?}.\nOne database orders by amount descending, then tenant, then id (amounts tie often here). \
                 The global top k can all sit on one shard: each shard must be asked for its own top k, and the lists merged in that same order.",
                expected[at], got[at]
            );
        }
    }
    assert!(store.top_by_amount(0).await.unwrap().is_empty(), "top 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scatter_asks_every_shard_at_once() {
    let setup = Setup::new(3).await;
    let (proxies, store) = behind_proxies(&setup).await;
    let store = Arc::new(store);
    for proxy in &proxies {
        proxy.hold_after_round_trips(0);
    }
    let top = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.top_by_amount(10).await }
    });
    // Every shard's question is held; none is answered. Asking one shard after another would
    // leave the second never asked while the first waits.
    for (n, proxy) in proxies.iter().enumerate() {
        assert!(
            proxy.held_within(Duration::from_secs(3)).await,
            "while shard 0's answer was pending, shard {n} was not asked: the shards must be queried concurrently (a scatter takes as long as the slowest shard, not the sum of them)"
        );
    }
    for proxy in &proxies {
        proxy.release();
    }
    let top = within(Duration::from_secs(10), "top_by_amount", top)
        .await
        .unwrap();
    assert!(top.unwrap().is_empty(), "the shards are empty");

    for proxy in &proxies {
        proxy.hold_after_round_trips(0);
    }
    let page = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.page(None, 10).await.map(|p| p.items.len()) }
    });
    for (n, proxy) in proxies.iter().enumerate() {
        assert!(
            proxy.held_within(Duration::from_secs(3)).await,
            "page: while another shard's answer was pending, shard {n} was not asked: query the shards concurrently"
        );
    }
    for proxy in &proxies {
        proxy.release();
    }
    let page = within(Duration::from_secs(10), "page", page).await.unwrap();
    assert_eq!(page.unwrap(), 0, "the shards are empty");
}

#[tokio::test]
async fn a_lost_shard_fails_the_query_instead_of_answering_without_it() {
    let setup = Setup::new(3).await;
    let store = setup.store();
    setup.load(&store, &invoices(3, 12, 10)).await;
    assert_eq!(store.top_by_amount(500).await.unwrap().len(), 120);

    // Shard 1's server is gone.
    let mut pools = setup.shards.clone();
    pools[1] = lost_shard();
    let store = ShardedInvoices::new(pools);
    let top = within(
        Duration::from_secs(20),
        "top_by_amount with a shard down",
        store.top_by_amount(500),
    )
    .await;
    assert!(
        top.is_err(),
        "shard 1 is unreachable, yet top_by_amount answered with {} invoices: an answer without a shard's rows looks complete and is wrong. Fail (or say it is partial), never drop a shard silently.",
        top.map(|t| t.len()).unwrap_or_default()
    );
    let page = within(
        Duration::from_secs(20),
        "page with a shard down",
        store.page(None, 500),
    )
    .await;
    assert!(
        page.is_err(),
        "shard 1 is unreachable, yet page answered with {} invoices: a page without a shard's rows skips them for good (the cursor moves past them)",
        page.map(|p| p.items.len()).unwrap_or_default()
    );
}

/// Follows `next` from the first page to the last; fails on a walk that does not end.
async fn walk(store: &ShardedInvoices, limit: usize, total: usize) -> Vec<Vec<Invoice>> {
    let mut pages = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let Page { items, next } = store
            .page(after.as_ref(), limit)
            .await
            .unwrap_or_else(|e| panic!("page after {after:?}: {e}"));
        pages.push(items);
        assert!(
            pages.len() <= total / limit.max(1) + 2,
            "pages of {limit} over {total} invoices: still going after {} pages (does the cursor move past the page's last invoice?)",
            pages.len()
        );
        match next {
            Some(cursor) => after = Some(cursor),
            None => return pages,
        }
    }
}

const BY_TIME: &str = "SELECT * FROM invoices ORDER BY created_ms, tenant_id, id";

#[tokio::test]
async fn pages_across_shards_list_every_invoice_once_in_order() {
    let setup = Setup::new(3).await;
    let store = setup.store();
    // 700 invoices at only 60 distinct times: every page boundary falls inside a tie.
    let all = invoices(4, 35, 20);
    setup.load(&store, &all).await;
    let expected = setup.oracle(BY_TIME).await;

    for limit in [1, 7, 50, 300, 700, 1_000] {
        let pages = walk(&store, limit, all.len()).await;
        let listed: Vec<Invoice> = pages.iter().flatten().cloned().collect();
        if let Some(at) = (0..expected.len()).find(|&i| listed.get(i) != Some(&expected[i])) {
            panic!(
                "pages of {limit}: invoice {at} of the listing should be {:?}, got {:?}.\n\
                 All shards' invoices by created_ms, then tenant, then id: one page takes the smallest of every shard's next invoices \
                 (times tie across shards), and the next page starts strictly after the last one shown, by the whole key.",
                expected[at],
                listed.get(at)
            );
        }
        assert_eq!(
            listed.len(),
            expected.len(),
            "pages of {limit}: {} invoices listed, {} stored (repeated ones?)",
            listed.len(),
            expected.len()
        );
        let expected_pages = expected.len().div_ceil(limit);
        assert_eq!(
            pages.len(),
            expected_pages,
            "pages of {limit} over {} invoices: {} pages, expected {expected_pages}; the last page (full or not) has no next cursor: ask each shard for one more than the page to know whether anything follows",
            expected.len(),
            pages.len()
        );
    }
}

#[tokio::test]
async fn a_cursor_keeps_its_place_while_invoices_arrive() {
    let setup = Setup::new(3).await;
    let store = setup.store();
    let all = invoices(5, 20, 10);
    setup.load(&store, &all).await;
    let mut first = store.page(None, 80).await.unwrap();
    let cursor = first
        .next
        .take()
        .expect("200 invoices: more than one page of 80");
    let last_seen = first.items.last().unwrap().clone();

    // Arrivals on every shard: some sort before the cursor, some after it.
    let mut arrivals = Vec::new();
    for t in 0..20 {
        for (id, created_ms) in [(101, 1_000), (102, 9_000_000_000_000)] {
            arrivals.push(Invoice {
                tenant_id: 1_000 + t * 37,
                id,
                amount_cents: 1,
                created_ms,
            });
        }
    }
    setup.load(&store, &arrivals).await;

    let mut rest = Vec::new();
    let mut after = Some(cursor);
    while let Some(cursor) = after {
        let page = store.page(Some(&cursor), 80).await.unwrap();
        rest.extend(page.items);
        after = page.next;
    }
    let expected: Vec<Invoice> = setup
        .oracle(BY_TIME)
        .await
        .into_iter()
        .filter(|i| {
            (i.created_ms, i.tenant_id, i.id)
                > (last_seen.created_ms, last_seen.tenant_id, last_seen.id)
        })
        .collect();
    assert_eq!(
        rest.len(),
        expected.len(),
        "after the first page, 20 invoices arrived before the cursor and 20 after it: the rest of the listing is what sorts after the last invoice shown (a keyset cursor), not an offset that new rows shift"
    );
    assert_eq!(rest, expected, "the rest of the listing, in order");
}

#[tokio::test]
async fn an_empty_store_has_one_empty_page_and_no_top() {
    let setup = Setup::new(2).await;
    let store = setup.store();
    let page = store.page(None, 10).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none(), "{page:?}");
    assert!(store.top_by_amount(3).await.unwrap().is_empty());

    // One shard is a sharded store too: everything is on shard 0.
    let one = ShardedInvoices::new(setup.shards[..1].to_vec());
    assert!((0..1_000).all(|t| one.shard_of(t) == 0));
}
