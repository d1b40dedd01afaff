//! A work queue on Redis Streams: consumer groups, acknowledgements, claiming a dead
//! consumer's messages, and a dead-letter stream for the messages that never succeed.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamPendingCountReply,
    StreamReadOptions, StreamReadReply,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub to: String,
}

/// The field a job is stored in, as JSON.
pub const JOB_FIELD: &str = "job";
/// How many entries one read or claim asks for.
pub const BATCH: usize = 100;

/// A handler's failure: the job stays pending and is delivered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

#[derive(Clone)]
pub struct Queue {
    conn: MultiplexedConnection,
    stream: String,
    group: String,
}

impl Queue {
    /// The queue on `stream`, read by the consumer group `group`; creates both if needed.
    /// A new group starts at the beginning of the stream: jobs published before any worker
    /// started are work too.
    pub async fn open(
        conn: MultiplexedConnection,
        stream: &str,
        group: &str,
    ) -> redis::RedisResult<Queue> {
        let mut c = conn.clone();
        let created: redis::RedisResult<()> = c.xgroup_create_mkstream(stream, group, "0").await;
        match created {
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            other => other?,
        }
        Ok(Queue {
            conn,
            stream: stream.to_owned(),
            group: group.to_owned(),
        })
    }

    /// The stream poison jobs are moved to.
    pub fn dead_letter_stream(&self) -> String {
        format!("{}:dead", self.stream)
    }

    pub async fn publish(&self, job: &Job) -> redis::RedisResult<String> {
        let json = serde_json::to_string(job).map_err(|e| {
            redis::RedisError::from((redis::ErrorKind::Client, "job", e.to_string()))
        })?;
        self.conn
            .clone()
            .xadd(&self.stream, "*", &[(JOB_FIELD, json)])
            .await
    }

    /// Reads new jobs as `consumer` (up to BATCH) and hands each to `handle`; a job handled
    /// is acknowledged, a job that failed stays pending. Returns how many were handled.
    pub async fn work(
        &self,
        consumer: &str,
        mut handle: impl FnMut(&Job) -> Result<(), Failed>,
    ) -> redis::RedisResult<usize> {
        let options = StreamReadOptions::default()
            .group(&self.group, consumer)
            .count(BATCH);
        let reply: StreamReadReply = self
            .conn
            .clone()
            .xread_options(&[&self.stream], &[">"], &options)
            .await?;
        let mut handled = 0;
        for entry in reply.keys.into_iter().flat_map(|k| k.ids) {
            handled += self.handle_entry(&entry, &mut handle).await?;
        }
        Ok(handled)
    }

    async fn handle_entry(
        &self,
        entry: &StreamId,
        handle: &mut impl FnMut(&Job) -> Result<(), Failed>,
    ) -> redis::RedisResult<usize> {
        let job = entry
            .get::<String>(JOB_FIELD)
            .and_then(|json| serde_json::from_str::<Job>(&json).ok());
        match job {
            Some(job) => match handle(&job) {
                Ok(()) => {
                    self.ack(&entry.id).await?;
                    Ok(1)
                }
                Err(Failed) => Ok(0),
            },
            // Not a job at all: it will never succeed.
            None => {
                self.dead_letter(entry, 1).await?;
                Ok(0)
            }
        }
    }

    async fn ack(&self, id: &str) -> redis::RedisResult<()> {
        let _: i64 = self
            .conn
            .clone()
            .xack(&self.stream, &self.group, &[id])
            .await?;
        Ok(())
    }

    /// Copies `entry` to the dead-letter stream, then acknowledges it (in one transaction: a
    /// crash in between must not lose it, nor leave it both pending and dead).
    async fn dead_letter(&self, entry: &StreamId, deliveries: usize) -> redis::RedisResult<()> {
        let fields: String = entry.get(JOB_FIELD).unwrap_or_default();
        let _: () = redis::pipe()
            .atomic()
            .xadd(
                self.dead_letter_stream(),
                "*",
                &[
                    (JOB_FIELD, fields),
                    ("original_id", entry.id.clone()),
                    ("deliveries", deliveries.to_string()),
                ],
            )
            .ignore()
            .xack(&self.stream, &self.group, &[&entry.id])
            .ignore()
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// Takes over, as `consumer`, every job that another consumer read and has not
    /// acknowledged for `min_idle` (it crashed, or is stuck), and handles it; a job delivered
    /// more than `max_deliveries` times goes to the dead-letter stream instead. Returns how
    /// many were handled.
    pub async fn reclaim(
        &self,
        consumer: &str,
        min_idle: Duration,
        max_deliveries: usize,
        mut handle: impl FnMut(&Job) -> Result<(), Failed>,
    ) -> redis::RedisResult<usize> {
        let mut conn = self.conn.clone();
        let mut start = "0-0".to_string();
        let mut handled = 0;
        loop {
            let reply: StreamAutoClaimReply = conn
                .xautoclaim_options(
                    &self.stream,
                    &self.group,
                    consumer,
                    min_idle.as_millis() as usize,
                    &start,
                    StreamAutoClaimOptions::default().count(BATCH),
                )
                .await?;
            for entry in &reply.claimed {
                // XAUTOCLAIM counted this delivery; XPENDING says how many there were.
                let pending: StreamPendingCountReply = conn
                    .xpending_count(&self.stream, &self.group, &entry.id, &entry.id, 1)
                    .await?;
                let deliveries = pending.ids.first().map_or(1, |p| p.times_delivered);
                if deliveries > max_deliveries {
                    self.dead_letter(entry, deliveries - 1).await?;
                } else {
                    handled += self.handle_entry(entry, &mut handle).await?;
                }
            }
            // Entries deleted from the stream while pending: nothing to do but forget them.
            if !reply.deleted_ids.is_empty() {
                let _: i64 = conn
                    .xack(&self.stream, &self.group, &reply.deleted_ids)
                    .await?;
            }
            if reply.next_stream_id == "0-0" {
                return Ok(handled);
            }
            start = reply.next_stream_id;
        }
    }
}
