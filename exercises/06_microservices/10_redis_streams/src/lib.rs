//! A work queue on Redis Streams: consumer groups, acknowledgements, claiming a dead
//! consumer's messages, and a dead-letter stream for the messages that never succeed.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
#[allow(unused_imports)] // you will need them
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
        todo!("create the group (and the stream) unless it exists")
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
        todo!("XREADGROUP new entries; handle; acknowledge what was handled")
    }

    #[allow(dead_code)]
    async fn handle_entry(
        &self,
        entry: &StreamId,
        handle: &mut impl FnMut(&Job) -> Result<(), Failed>,
    ) -> redis::RedisResult<usize> {
        todo!("one entry: a job to handle, or not a job at all")
    }

    #[allow(dead_code)]
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
    #[allow(dead_code)]
    async fn dead_letter(&self, entry: &StreamId, deliveries: usize) -> redis::RedisResult<()> {
        todo!("copy to the dead-letter stream and acknowledge, atomically")
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
        todo!("XAUTOCLAIM what is idle, page by page; dead-letter what was delivered too often")
    }
}
