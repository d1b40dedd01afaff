//! Back-of-the-envelope capacity estimation, as code: from a product brief to the numbers a
//! design review asks for.

pub const SECONDS_PER_DAY: f64 = 86_400.0;
pub const DAYS_PER_YEAR: f64 = 365.0;

/// What the product people can tell you.
#[derive(Debug, Clone, Copy)]
pub struct Brief {
    pub daily_active_users: f64,
    /// Reads and writes, per user per day.
    pub requests_per_user_per_day: f64,
    /// The share of requests that write (create) a record.
    pub write_share: f64,
    /// Busiest second over the average second (traffic is not flat: 2–10 is common).
    pub peak_factor: f64,
    /// Bytes of one record, as stored in the table.
    pub record_bytes: f64,
    /// Indexes as a share of the table's size (0.3: +30 %).
    pub index_overhead: f64,
    /// Copies of every byte (a primary and its replicas).
    pub replication_factor: f64,
    /// Bytes sent back for one read.
    pub response_bytes: f64,
    /// Reads concentrate on recent records: the records written in the last `hot_days` days
    /// get `hot_read_share` of the reads.
    pub hot_days: f64,
    pub hot_read_share: f64,
    /// Time one request spends in the service (seconds).
    pub service_time_s: f64,
    /// Requests one instance handles at once.
    pub concurrency_per_instance: f64,
    /// How busy an instance may run at the peak (0.7: 30 % headroom).
    pub target_utilization: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub average_qps: f64,
    pub peak_qps: f64,
    pub peak_write_qps: f64,
    pub peak_read_qps: f64,
    /// Bytes stored after one year of writes: records, their indexes, every replica.
    pub storage_bytes_per_year: f64,
    /// Egress at the peak, in bits per second (how links and cloud bills count).
    pub peak_egress_bits_per_second: f64,
    /// Bytes of records a cache must hold to serve the hot share of reads.
    pub cache_bytes: f64,
    /// Reads per second that still reach the database at the peak, with that cache.
    pub peak_database_read_qps: f64,
    /// Instances needed at the peak (Little's law, with headroom), a whole number.
    pub instances: u32,
}

pub fn estimate(brief: &Brief) -> Estimate {
    let requests_per_day = brief.daily_active_users * brief.requests_per_user_per_day;
    let average_qps = requests_per_day / SECONDS_PER_DAY;
    let peak_qps = average_qps * brief.peak_factor;
    let peak_write_qps = peak_qps * brief.write_share;
    let peak_read_qps = peak_qps - peak_write_qps;

    let writes_per_day = requests_per_day * brief.write_share;
    let table_bytes_per_year = writes_per_day * DAYS_PER_YEAR * brief.record_bytes;
    let storage_bytes_per_year =
        table_bytes_per_year * (1.0 + brief.index_overhead) * brief.replication_factor;

    let peak_egress_bits_per_second = peak_read_qps * brief.response_bytes * 8.0;

    // One copy of the hot records is enough: a cache is not the system of record.
    let cache_bytes = writes_per_day * brief.hot_days * brief.record_bytes;
    let peak_database_read_qps = peak_read_qps * (1.0 - brief.hot_read_share);

    // Little's law: requests in flight = arrival rate × time in the system.
    let in_flight = peak_qps * brief.service_time_s;
    let instances =
        (in_flight / (brief.concurrency_per_instance * brief.target_utilization)).ceil() as u32;

    Estimate {
        average_qps,
        peak_qps,
        peak_write_qps,
        peak_read_qps,
        storage_bytes_per_year,
        peak_egress_bits_per_second,
        cache_bytes,
        peak_database_read_qps,
        instances: instances.max(1),
    }
}
