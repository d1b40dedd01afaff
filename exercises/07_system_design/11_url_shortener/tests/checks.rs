use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use backlings_support_db::db;
use url_shortener::*;

// ---- The capacity plan in README.md, against the constants of src/lib.rs -----------------

/// The rows `| quantity | number |` of the README's capacity plan.
fn plan() -> BTreeMap<String, u64> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md of the exercise");
    let section = readme
        .split("## The capacity plan")
        .nth(1)
        .expect("README.md has a section `## The capacity plan`");
    section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            let [name, value] = cells[..] else {
                return None;
            };
            let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            Some((name.trim().to_owned(), digits.parse().ok()?))
        })
        .collect()
}

const DAY: u64 = 86_400;

fn links_to_plan_for() -> u64 {
    LINKS_PER_DAY * 365 * RETENTION_YEARS * HEADROOM
}

#[test]
fn the_plan_in_the_lesson_is_the_plan_in_the_code() {
    let plan = plan();
    let expected: [(&str, u64); 10] = [
        ("links per year", LINKS_PER_DAY * 365),
        ("links to plan for", links_to_plan_for()),
        ("code length", u64::from(CODE_LEN)),
        ("code space", 62u64.pow(CODE_LEN)),
        (
            "storage per year, all replicas (GB)",
            LINKS_PER_DAY * 365 * BYTES_PER_LINK * REPLICAS / 1_000_000_000,
        ),
        ("average writes per second", LINKS_PER_DAY.div_ceil(DAY)),
        (
            "peak reads per second",
            (LINKS_PER_DAY * READS_PER_WRITE * PEAK_FACTOR).div_ceil(DAY),
        ),
        ("ids per sequence call", ID_BLOCK as u64),
        ("cache entries", CACHE_CAPACITY),
        (
            "cache memory (MB)",
            CACHE_CAPACITY * BYTES_PER_CACHED_LINK / 1_000_000,
        ),
    ];
    for (quantity, value) in expected {
        let stated = plan
            .get(quantity)
            .unwrap_or_else(|| panic!("README.md's capacity plan has no row `| {quantity} | … |`"));
        assert_eq!(
            *stated, value,
            "the capacity plan says `{quantity}` is {stated}; the constants of src/lib.rs make it {value}. A plan that disagrees with the code is a plan of another system"
        );
    }
}

#[test]
fn codes_are_as_short_as_the_plan_allows_and_long_enough() {
    let needed = links_to_plan_for();
    assert_ne!(
        CODE_LEN, 0,
        "CODE_LEN is still 0: decide it from the capacity plan"
    );
    assert!(
        62u64.pow(CODE_LEN) >= needed,
        "codes of {CODE_LEN} characters make {} codes; the plan needs {needed} ({RETENTION_YEARS} years of links, ×{HEADROOM} headroom)",
        62u64.pow(CODE_LEN)
    );
    assert!(
        62u64.pow(CODE_LEN.saturating_sub(1)) < needed,
        "codes of {} characters would already do: the shortest that lasts is the point of a short link",
        CODE_LEN.saturating_sub(1)
    );
    assert!(base62(needed).len() <= CODE_LEN as usize);
}

#[test]
fn base62_is_most_significant_digit_first() {
    for (n, code) in [
        (0, "0"),
        (9, "9"),
        (10, "A"),
        (35, "Z"),
        (36, "a"),
        (61, "z"),
        (62, "10"),
        (63, "11"),
        (3_843, "zz"),
        (3_844, "100"),
        (62u64.pow(7) - 1, "zzzzzzz"),
        (u64::MAX, "LygHa16AHYF"),
    ] {
        assert_eq!(
            base62(n),
            code,
            "base62({n}) with the alphabet 0-9, A-Z, a-z"
        );
    }
}

// ---- Ids across instances ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_never_hand_out_the_same_code_and_ask_the_sequence_once_per_block() {
    let pool = db::isolated_pool().await;
    let increment: i64 =
        sqlx::query_scalar("SELECT increment_by FROM pg_sequences WHERE sequencename = 'link_ids'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        increment, ID_BLOCK,
        "the sequence's INCREMENT BY (migrations/) and ID_BLOCK must agree: each nextval reserves one block"
    );

    // Three instances, each making more links than one block holds, all at once.
    let instances: Vec<Arc<Shortener>> = (0..3)
        .map(|_| Arc::new(Shortener::new(pool.clone())))
        .collect();
    let per_instance = 1_100;
    let mut tasks = Vec::new();
    for (n, instance) in instances.iter().enumerate() {
        for worker in 0..4 {
            let instance = Arc::clone(instance);
            tasks.push(tokio::spawn(async move {
                let mut made = Vec::new();
                for i in (worker..per_instance).step_by(4) {
                    let url = format!("https://example.com/{n}/{i}");
                    let code = instance
                        .shorten(&url)
                        .await
                        .unwrap_or_else(|e| panic!("instance {n}, link {i}: {e}"));
                    made.push((code, url));
                }
                made
            }));
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let codes: HashSet<&String> = all.iter().map(|(c, _)| c).collect();
    assert_eq!(
        codes.len(),
        all.len(),
        "3 instances made {} links and {} distinct codes",
        all.len(),
        codes.len()
    );
    for (code, _) in &all {
        assert!(
            code.len() <= CODE_LEN as usize && code.bytes().all(|b| ALPHABET.contains(&b)),
            "code {code:?}: base62, at most {CODE_LEN} characters"
        );
    }
    let fresh = Shortener::new(pool.clone());
    for (code, url) in all.iter().step_by(97) {
        assert_eq!(
            fresh.resolve(code).await.unwrap().as_deref(),
            Some(url.as_str()),
            "another instance resolves {code}"
        );
    }
    let last: i64 = sqlx::query_scalar("SELECT last_value FROM link_ids")
        .fetch_one(&pool)
        .await
        .unwrap();
    let blocks = (last - 1) / ID_BLOCK + 1;
    assert!(
        blocks <= 6,
        "3 instances × {per_instance} links took {blocks} blocks of {ID_BLOCK} ids from the sequence: one nextval per {ID_BLOCK} links per instance (2 each) is the point of blocks — a database round trip per id would make the sequence every write's bottleneck"
    );
}

// ---- The cache in front of Postgres --------------------------------------------------------

#[tokio::test]
async fn a_hot_link_is_read_from_the_database_once() {
    let pool = db::isolated_pool().await;
    let writer = Shortener::new(pool.clone());
    let hot = writer.shorten("https://example.com/hot").await.unwrap();
    let cold = writer.shorten("https://example.com/cold").await.unwrap();
    let other = writer.shorten("https://example.com/other").await.unwrap();

    let proxy = db::cut_proxy(&pool).await;
    let counted = db::pool_via(&proxy, &pool).await;
    let reader = Shortener::new(counted);
    let before = proxy.round_trips();
    assert_eq!(
        reader.resolve(&other).await.unwrap().as_deref(),
        Some("https://example.com/other")
    );
    let one_lookup = proxy.round_trips() - before;
    assert!(
        one_lookup > 0,
        "the first resolve of a code asks the database"
    );

    let before = proxy.round_trips();
    for _ in 0..200 {
        assert_eq!(
            reader.resolve(&hot).await.unwrap().as_deref(),
            Some("https://example.com/hot")
        );
    }
    let spent = proxy.round_trips() - before;
    assert!(
        spent <= one_lookup,
        "200 redirects of one link cost {spent} database round trips (one lookup costs {one_lookup}): links never change, so the first answer can be kept"
    );

    // Fifty redirects of a code nobody has resolved yet, at once.
    let before = proxy.round_trips();
    let answers = futures_util::future::join_all((0..50).map(|_| reader.resolve(&cold))).await;
    for a in answers {
        assert_eq!(a.unwrap().as_deref(), Some("https://example.com/cold"));
    }
    let spent = proxy.round_trips() - before;
    assert!(
        spent <= one_lookup,
        "50 concurrent first redirects of one link cost {spent} round trips (one lookup costs {one_lookup}): concurrent misses of one key should wait for one lookup, not each make their own (a link shared in a big newsletter arrives like this)"
    );
    assert_eq!(
        reader.resolve("zzzzzzz").await.unwrap(),
        None,
        "an unknown code"
    );
}

#[tokio::test]
async fn only_web_links_are_shortened() {
    let pool = db::isolated_pool().await;
    let s = Shortener::new(pool);
    // Redirecting to these runs them in the visitor's browser (OWASP XSS filter evasion).
    for url in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/",
        "http://",
        "not a url",
        "",
    ] {
        assert!(
            matches!(s.shorten(url).await, Err(Error::InvalidUrl(_))),
            "{url:?} must be refused as InvalidUrl: a short link is a redirect, and only http(s) with a host is safe to redirect to"
        );
    }
    for url in ["https://example.com/a?b=c#d", "http://127.0.0.1:8080/x"] {
        let code = s.shorten(url).await.unwrap();
        assert_eq!(s.resolve(&code).await.unwrap().as_deref(), Some(url));
    }
}
