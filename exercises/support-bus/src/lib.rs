//! NATS helpers for the exercises' tests. Learners never need to edit this crate.
//!
//! `exercise` hands every run NATS_URL and a prefix of its own (BACKLINGS_NATS_PREFIX), and
//! deletes every stream named after the prefix when the run ends. NATS has no per-run database:
//! the prefix is the namespace, so a test puts every subject, stream, consumer and bucket it
//! uses under its [`Bus`]'s names, and two tests (or two runs) never see each other's messages.
//!
//! A failure of the test harness itself (no server, no JetStream) panics with a message that
//! starts `[test infrastructure]`: `exercise verify` reports a mutant rejected only that way as
//! an error of the run, not as caught by the tests.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_nats::jetstream;

/// The variable with the run's prefix.
pub const PREFIX_VAR: &str = "BACKLINGS_NATS_PREFIX";

/// NATS_URL, or a panic that says how to get one.
pub fn nats_url() -> String {
    match std::env::var("NATS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "[test infrastructure] NATS_URL is not set. Run this exercise through `exercise` (it starts NATS for you), \
             or set NATS_URL to a NATS server with JetStream (`nats-server --jetstream`)."
        ),
    }
}

/// One test's namespace on the run's server: a connection, and the names to use.
pub struct Bus {
    client: async_nats::Client,
    prefix: String,
}

impl Bus {
    /// Connects to NATS_URL with a prefix no other test of any run uses:
    /// `<run prefix>_<pid>_<n>` (the run prefix is `manual` outside `exercise`).
    pub async fn new() -> Bus {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let run = std::env::var(PREFIX_VAR).ok();
        let prefix = test_prefix(run.as_deref(), NEXT.fetch_add(1, Ordering::SeqCst));
        let url = nats_url();
        let client = async_nats::connect(&url).await.unwrap_or_else(|e| {
            panic!("[test infrastructure] cannot connect to NATS_URL={url}: {e}")
        });
        Bus { client, prefix }
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// A JetStream context on this test's connection.
    pub fn jetstream(&self) -> jetstream::Context {
        jetstream::new(self.client.clone())
    }

    /// `orders.created` → `<prefix>.orders.created`: a subject only this test publishes on.
    pub fn subject(&self, subject: &str) -> String {
        format!("{}.{subject}", self.prefix)
    }

    /// `ORDERS` → `<prefix>_ORDERS`: a stream, consumer or bucket name only this test uses
    /// (the runner deletes the streams named after its prefix when the run ends).
    pub fn name(&self, name: &str) -> String {
        format!("{}_{name}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Creates this test's stream `name` (see [`Bus::name`]) on `subjects` (see
    /// [`Bus::subject`], wildcards allowed): in memory, with JetStream's default two-minute
    /// duplicate window. The runner deletes it when the run ends.
    pub async fn memory_stream(&self, name: &str, subjects: &str) -> jetstream::stream::Stream {
        self.jetstream()
            .create_stream(jetstream::stream::Config {
                name: self.name(name),
                subjects: vec![self.subject(subjects)],
                storage: jetstream::stream::StorageType::Memory,
                duplicate_window: std::time::Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| {
                panic!("[test infrastructure] cannot create the stream {name}: {e}")
            })
    }
}

/// `<run>_<pid>_<n>`: the run's prefix first, so that the runner's cleanup (every stream named
/// after the run) finds this test's streams too.
fn test_prefix(run: Option<&str>, n: usize) -> String {
    let run = run.filter(|p| !p.is_empty()).unwrap_or("manual");
    format!("{run}_{}_{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tests_names_live_under_its_runs_prefix_and_no_other_tests() {
        let a = test_prefix(Some("bk_7_0_orders"), 0);
        let b = test_prefix(Some("bk_7_0_orders"), 1);
        assert!(a.starts_with("bk_7_0_orders_"), "{a}");
        assert_ne!(a, b);
        assert!(test_prefix(None, 0).starts_with("manual_"));
        assert!(test_prefix(Some(""), 0).starts_with("manual_"));
        // NATS names: no dots, spaces or wildcards in a stream name or a subject token.
        assert!(
            a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{a}"
        );
    }
}
