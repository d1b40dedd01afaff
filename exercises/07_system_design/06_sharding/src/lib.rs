//! Invoices of many tenants, sharded by tenant over several Postgres databases.
//!
//! Every shard has the same `invoices` table (see migrations/). Finish the methods of
//! `ShardedInvoices`; the tests compare every answer with one database holding everything.

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
#[allow(dead_code)]
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
#[allow(dead_code)]
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
    pub fn shard_of(&self, _tenant: i64) -> usize {
        todo!("hash the tenant id with a hash that is the same everywhere, modulo the shard count")
    }

    pub async fn insert(&self, _invoice: &Invoice) -> Result<(), sqlx::Error> {
        todo!("insert into the tenant's shard")
    }

    /// `tenant`'s invoices by id, from its shard alone.
    pub async fn for_tenant(&self, _tenant: i64) -> Result<Vec<Invoice>, sqlx::Error> {
        todo!("ask the tenant's shard, and no other")
    }

    /// The `k` largest invoices of all tenants: amount descending, ties by tenant then id.
    pub async fn top_by_amount(&self, _k: usize) -> Result<Vec<Invoice>, sqlx::Error> {
        todo!("scatter: every shard's own top k, at once; gather: a k-way merge in the same order")
    }

    /// Every tenant's invoices oldest first (ties by tenant, then id), `limit` at a time.
    pub async fn page(&self, _after: Option<&Cursor>, _limit: usize) -> Result<Page, sqlx::Error> {
        todo!(
            "each shard's next invoices after the cursor, merged; the cursor is the last one's whole key"
        )
    }
}
