//! Invoices of many tenants, sharded by tenant over several Postgres databases.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use sqlx::PgPool;

/// One invoice. A tenant's invoices all live on one shard.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invoice {
    pub tenant_id: i64,
    pub id: i64,
    pub amount_cents: i64,
    /// Milliseconds since the epoch; many invoices share one.
    pub created_ms: i64,
}

/// Where a page of `page` ended: the sort key of its last invoice. Opaque to callers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    created_ms: i64,
    tenant_id: i64,
    id: i64,
}

/// A page of every tenant's invoices, oldest first; `next` is None on the last page.
#[derive(Debug)]
pub struct Page {
    pub items: Vec<Invoice>,
    pub next: Option<Cursor>,
}

/// The invoices table over `shards`, one database each.
pub struct ShardedInvoices {
    shards: Vec<PgPool>,
}

impl ShardedInvoices {
    /// Panics on an empty list: a store with no shard has nowhere to put anything.
    pub fn new(shards: Vec<PgPool>) -> ShardedInvoices {
        assert!(!shards.is_empty(), "at least one shard");
        ShardedInvoices { shards }
    }

    /// The shard that holds `tenant`'s invoices: the same in every process, every run.
    pub fn shard_of(&self, tenant: i64) -> usize {
        let hash = xxhash_rust::xxh3::xxh3_64(&tenant.to_be_bytes());
        (hash % self.shards.len() as u64) as usize
    }

    pub async fn insert(&self, invoice: &Invoice) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO invoices (tenant_id, id, amount_cents, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(invoice.tenant_id)
        .bind(invoice.id)
        .bind(invoice.amount_cents)
        .bind(invoice.created_ms)
        .execute(&self.shards[self.shard_of(invoice.tenant_id)])
        .await?;
        Ok(())
    }

    /// `tenant`'s invoices by id, from its shard alone.
    pub async fn for_tenant(&self, tenant: i64) -> Result<Vec<Invoice>, sqlx::Error> {
        sqlx::query_as("SELECT * FROM invoices WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant)
            .fetch_all(&self.shards[self.shard_of(tenant)])
            .await
    }

    /// The `k` largest invoices of all tenants: amount descending, ties by tenant then id.
    pub async fn top_by_amount(&self, k: usize) -> Result<Vec<Invoice>, sqlx::Error> {
        // Each shard's own top k: the global top k is among them, whatever the skew.
        let lists = self
            .scatter(|pool| async move {
                sqlx::query_as(
                    "SELECT * FROM invoices ORDER BY amount_cents DESC, tenant_id, id LIMIT $1",
                )
                .bind(k as i64)
                .fetch_all(&pool)
                .await
            })
            .await?;
        Ok(merge(lists, k, |i| {
            (Reverse(i.amount_cents), i.tenant_id, i.id)
        }))
    }

    /// Every tenant's invoices oldest first (ties by tenant, then id), `limit` at a time.
    pub async fn page(&self, after: Option<&Cursor>, limit: usize) -> Result<Page, sqlx::Error> {
        let (created_ms, tenant_id, id) = (
            after.map(|c| c.created_ms),
            after.map(|c| c.tenant_id),
            after.map(|c| c.id),
        );
        // One more than asked, from each shard: whether anything follows the page is then known.
        let lists = self
            .scatter(|pool| async move {
                sqlx::query_as(
                    "SELECT * FROM invoices \
                     WHERE $1::bigint IS NULL OR (created_ms, tenant_id, id) > ($1, $2, $3) \
                     ORDER BY created_ms, tenant_id, id LIMIT $4",
                )
                .bind(created_ms)
                .bind(tenant_id)
                .bind(id)
                .bind(limit as i64 + 1)
                .fetch_all(&pool)
                .await
            })
            .await?;
        let mut items = merge(lists, limit + 1, |i| (i.created_ms, i.tenant_id, i.id));
        let more = items.len() > limit;
        items.truncate(limit);
        let next = match items.last() {
            Some(last) if more => Some(Cursor {
                created_ms: last.created_ms,
                tenant_id: last.tenant_id,
                id: last.id,
            }),
            _ => None,
        };
        Ok(Page { items, next })
    }

    /// Runs `query` on every shard at once; fails if any shard fails (a missing shard's rows
    /// would make a wrong answer look complete).
    async fn scatter<F, Fut>(&self, query: F) -> Result<Vec<Vec<Invoice>>, sqlx::Error>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = Result<Vec<Invoice>, sqlx::Error>>,
    {
        futures_util::future::try_join_all(self.shards.iter().cloned().map(query)).await
    }
}

/// K-way merge of lists each sorted by `key`: the first `limit` of them all, by `key`.
fn merge<K: Ord>(
    lists: Vec<Vec<Invoice>>,
    limit: usize,
    key: impl Fn(&Invoice) -> K,
) -> Vec<Invoice> {
    let mut lists: Vec<std::vec::IntoIter<Invoice>> =
        lists.into_iter().map(Vec::into_iter).collect();
    // The heads of the lists, smallest key on top.
    let mut heads = BinaryHeap::new();
    for (list, iter) in lists.iter_mut().enumerate() {
        if let Some(first) = iter.next() {
            heads.push(Head {
                key: key(&first),
                list,
                invoice: first,
            });
        }
    }
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit {
        let Some(Head { list, invoice, .. }) = heads.pop() else {
            break;
        };
        if let Some(next) = lists[list].next() {
            heads.push(Head {
                key: key(&next),
                list,
                invoice: next,
            });
        }
        out.push(invoice);
    }
    out
}

/// A list's first unmerged invoice. Ordered by key, reversed: BinaryHeap is a max-heap.
struct Head<K> {
    key: K,
    list: usize,
    invoice: Invoice,
}

impl<K: Ord> Ord for Head<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

impl<K: Ord> PartialOrd for Head<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> PartialEq for Head<K> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<K: Ord> Eq for Head<K> {}
