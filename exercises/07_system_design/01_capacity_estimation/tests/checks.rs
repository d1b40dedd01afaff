use capacity_estimation::*;

/// A link shortener's brief: 10 million daily users, 10 requests each, 1 in 10 creates a link.
const SHORTENER: Brief = Brief {
    daily_active_users: 10_000_000.0,
    requests_per_user_per_day: 10.0,
    write_share: 0.1,
    peak_factor: 5.0,
    record_bytes: 500.0,
    index_overhead: 0.3,
    replication_factor: 3.0,
    response_bytes: 2_000.0,
    hot_days: 2.0,
    hot_read_share: 0.8,
    service_time_s: 0.05,
    concurrency_per_instance: 100.0,
    target_utilization: 0.7,
};

/// `got` must be `want` within 0.1 %; when it is not, the mistakes it matches are named.
fn check(what: &str, got: f64, want: f64, mistakes: &[(f64, &str)]) {
    let close = |a: f64, b: f64| (a - b).abs() <= b.abs() * 1e-3 + 1e-9;
    if close(got, want) {
        return;
    }
    let why = mistakes
        .iter()
        .find(|(value, _)| close(got, *value))
        .map_or("", |(_, why)| why);
    panic!("{what}: {got} where {want} was expected. {why}");
}

#[test]
fn traffic_is_estimated_for_the_busiest_second() {
    let e = estimate(&SHORTENER);
    let average = 100_000_000.0 / 86_400.0;
    check(
        "average QPS",
        e.average_qps,
        average,
        &[(
            100_000_000.0 / 3_600.0,
            "A day has 86 400 seconds, not 3 600.",
        )],
    );
    check(
        "peak QPS",
        e.peak_qps,
        average * 5.0,
        &[(
            average,
            "That is the average: capacity is planned for the busiest second (peak_factor), \
             or the service falls over every evening.",
        )],
    );
    check("peak write QPS", e.peak_write_qps, average * 5.0 * 0.1, &[]);
    check(
        "peak read QPS",
        e.peak_read_qps,
        average * 5.0 * 0.9,
        &[(average * 5.0, "Reads are the requests that are not writes.")],
    );
}

#[test]
fn storage_counts_indexes_and_every_replica() {
    let e = estimate(&SHORTENER);
    // 10 M links a day, 365 days, 500 bytes each.
    let table = 10_000_000.0 * 365.0 * 500.0;
    check(
        "storage per year",
        e.storage_bytes_per_year,
        table * 1.3 * 3.0,
        &[
            (table * 3.0, "Indexes take space too (index_overhead)."),
            (
                table * 1.3,
                "Every replica stores every byte: multiply by replication_factor.",
            ),
            (table, "Indexes and replicas are missing."),
            (
                table * 1.3 * 3.0 * 5.0,
                "Storage grows with the writes of every day, not with the peak.",
            ),
        ],
    );
}

#[test]
fn bandwidth_is_in_bits_per_second() {
    let e = estimate(&SHORTENER);
    let bytes = 100_000_000.0 / 86_400.0 * 5.0 * 0.9 * 2_000.0;
    check(
        "peak egress",
        e.peak_egress_bits_per_second,
        bytes * 8.0,
        &[(
            bytes,
            "That is bytes per second: links, NICs and bills count bits (×8). A 1 Gbit/s \
             link carries 125 MB/s, not 1 GB/s.",
        )],
    );
}

#[test]
fn the_cache_holds_the_hot_records_once_and_takes_their_reads() {
    let e = estimate(&SHORTENER);
    check(
        "cache size",
        e.cache_bytes,
        10_000_000.0 * 2.0 * 500.0,
        &[(
            10_000_000.0 * 2.0 * 500.0 * 3.0,
            "A cache holds one copy of the hot records: replicas are the database's business.",
        )],
    );
    let reads = 100_000_000.0 / 86_400.0 * 5.0 * 0.9;
    check(
        "database reads at the peak",
        e.peak_database_read_qps,
        reads * 0.2,
        &[(reads, "The cache answers hot_read_share of the reads.")],
    );
}

#[test]
fn instances_follow_littles_law_with_headroom() {
    let e = estimate(&SHORTENER);
    // 5787 requests/s × 0.05 s = 289 in flight; 100 per instance at 70 % = 70 each → 4.13.
    assert_eq!(
        e.instances, 5,
        "289 requests in flight at the peak (Little's law: arrival rate × time in the \
         system), 70 per instance (100 at 70 % utilization): 4.13 instances, so 5 — a fraction \
         of an instance is a whole one"
    );
    let exact = Brief {
        daily_active_users: 8_640_000.0,
        requests_per_user_per_day: 1.0,
        peak_factor: 1.0,
        service_time_s: 0.7,
        concurrency_per_instance: 10.0,
        target_utilization: 0.7,
        ..SHORTENER
    };
    // 100 requests/s × 0.7 s = 70 in flight, 7 per instance: exactly 10.
    assert_eq!(
        estimate(&exact).instances,
        10,
        "exactly 10 instances' worth of work needs 10 instances, not 11"
    );
    let launch_day = Brief {
        daily_active_users: 0.0,
        ..SHORTENER
    };
    assert_eq!(
        estimate(&launch_day).instances,
        1,
        "no users yet, and still one instance runs: a service of zero instances is down"
    );
}
