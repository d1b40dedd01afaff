//! A read router in front of a primary and a lagging replica: read-your-writes with a
//! position token the client carries.

use std::time::Duration;

use sqlx::PgPool;

/// How far into the primary's write-ahead log a write went (bytes). The client keeps it (in a
/// cookie, say) and hands it back with its next reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(i64);

pub struct ReadRouter {
    primary: PgPool,
    replica: PgPool,
    /// How long a read waits for the replica before it asks the primary instead.
    replica_budget: Duration,
}

impl ReadRouter {
    pub fn new(primary: PgPool, replica: PgPool, replica_budget: Duration) -> ReadRouter {
        ReadRouter {
            primary,
            replica,
            replica_budget,
        }
    }

    /// Writes on the primary; the position returned is at or after the write's commit.
    pub async fn set_bio(&self, user: i64, bio: &str) -> Result<Position, sqlx::Error> {
        sqlx::query(
            "INSERT INTO profiles (user_id, bio) VALUES ($1, $2) \
             ON CONFLICT (user_id) DO UPDATE SET bio = EXCLUDED.bio",
        )
        .bind(user)
        .bind(bio)
        .execute(&self.primary)
        .await?;
        // Read after the commit returned: every byte of the commit record is before it.
        let position: i64 =
            sqlx::query_scalar("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
                .fetch_one(&self.primary)
                .await?;
        Ok(Position(position))
    }

    /// `user`'s bio as of at least `after` (the reader's own last write), from the replica when
    /// it has applied that far and answers in budget, else from the primary.
    pub async fn bio(
        &self,
        after: Option<Position>,
        user: i64,
    ) -> Result<Option<String>, sqlx::Error> {
        let at_least = after.map_or(0, |p| p.0);
        let replica = sqlx::query_as::<_, (bool, Option<String>)>(
            "SELECT (SELECT position FROM replication_state) >= $1, \
                    (SELECT bio FROM profiles WHERE user_id = $2)",
        )
        .bind(at_least)
        .bind(user)
        .fetch_one(&self.replica);
        // A replica that is down or slow costs a bounded wait, not the read.
        if let Ok(Ok((true, bio))) = tokio::time::timeout(self.replica_budget, replica).await {
            return Ok(bio);
        }
        sqlx::query_scalar("SELECT bio FROM profiles WHERE user_id = $1")
            .bind(user)
            .fetch_optional(&self.primary)
            .await
    }
}
