//! Reads libtest's human output (stable Rust has no machine format for it) into per-test results,
//! keeping for each failure only what teaches: where it panicked and the assertion message.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestStatus {
    Passed,
    Failed,
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TestCase {
    pub name: String,
    pub status: TestStatus,
    /// For failures: the panic message (and anything the test printed), cleaned of libtest noise.
    pub message: Option<String>,
    /// For failures: `file:line:col` of the panic.
    pub location: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct Report {
    pub tests: Vec<TestCase>,
    /// libtest printed its closing `test result:` line, i.e. the binary did not crash.
    pub finished: bool,
}

pub fn parse(stdout: &str) -> Report {
    let mut report = Report::default();
    let mut blocks: Vec<(String, Vec<&str>)> = Vec::new();
    let mut in_block: Option<(String, Vec<&str>)> = None;

    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("---- ")
            && let Some(name) = rest.strip_suffix(" stdout ----")
        {
            if let Some(b) = in_block.take() {
                blocks.push(b);
            }
            in_block = Some((name.to_owned(), Vec::new()));
            continue;
        }
        if let Some(block) = in_block.as_mut() {
            // The second "failures:" heading lists names only: the blocks are over.
            if line == "failures:" {
                if let Some(b) = in_block.take() {
                    blocks.push(b);
                }
            } else {
                block.1.push(line);
            }
            continue;
        }
        if line.starts_with("test result: ") {
            report.finished = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ") {
            let (name, status) = if let Some(n) = rest.strip_suffix(" ... ok") {
                (n, TestStatus::Passed)
            } else if let Some(n) = rest.strip_suffix(" ... FAILED") {
                (n, TestStatus::Failed)
            } else if let Some(idx) = rest.find(" ... ignored") {
                (&rest[..idx], TestStatus::Ignored)
            } else {
                continue;
            };
            report.tests.push(TestCase {
                name: name.to_owned(),
                status,
                message: None,
                location: None,
            });
        }
    }
    if let Some(b) = in_block.take() {
        blocks.push(b);
    }
    for (name, lines) in blocks {
        let (message, location) = clean_failure(&lines);
        if let Some(t) = report.tests.iter_mut().find(|t| t.name == name) {
            t.message = Some(message);
            t.location = location;
        }
    }
    report
}

fn clean_failure(lines: &[&str]) -> (String, Option<String>) {
    let mut location = None;
    let mut kept = Vec::new();
    let mut panics = 0;
    for line in lines {
        if line.starts_with("note: run with `RUST_BACKTRACE=") {
            continue;
        }
        // `thread 'name' panicked at f.rs:1:2:` (newer Rust adds ` (tid)` after the name).
        if line.starts_with("thread '")
            && let Some((_, at)) = line.split_once(" panicked at ")
        {
            panics += 1;
            if panics == 1 {
                location = Some(at.trim_end_matches(':').to_owned());
            }
            continue;
        }
        // After the first panic, other threads' panics (tasks spawned by the test) repeat the
        // same story; the first one is the cause.
        if panics <= 1 {
            kept.push(*line);
        }
    }
    let mut text = shorten(&kept.join("\n"));
    if panics > 1 {
        text.push_str(&format!(
            "\n(and {} more panics in other threads)",
            panics - 1
        ));
    }
    (text, location)
}

/// A failure message stays readable whatever the test printed: at most the first and last
/// `MESSAGE_LINES / 2` lines, each at most `LINE_CHARS` long.
const MESSAGE_LINES: usize = 40;
const LINE_CHARS: usize = 400;

fn shorten(text: &str) -> String {
    let lines: Vec<String> = text
        .trim()
        .lines()
        .map(|l| {
            if l.chars().count() > LINE_CHARS {
                l.chars().take(LINE_CHARS).collect::<String>() + " …"
            } else {
                l.to_owned()
            }
        })
        .collect();
    if lines.len() <= MESSAGE_LINES {
        return lines.join("\n");
    }
    let half = MESSAGE_LINES / 2;
    let cut = lines.len() - 2 * half;
    format!(
        "{}\n… [{cut} lines cut] …\n{}",
        lines[..half].join("\n"),
        lines[lines.len() - half..].join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "
running 3 tests
test ok_one ... ok
test bad::two ... FAILED
test slow ... ignored, needs a database

failures:

---- bad::two stdout ----
debug line the test printed

thread 'bad::two' (7002) panicked at tests/checks.rs:12:5:
assertion `left == right` failed: a missing role defaults to \"member\"
  left: \"\"
 right: \"member\"
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace


failures:
    bad::two

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    #[test]
    fn parses_statuses_and_failure_messages() {
        let r = parse(SAMPLE);
        assert!(r.finished);
        let st: Vec<_> = r
            .tests
            .iter()
            .map(|t| (t.name.as_str(), t.status))
            .collect();
        assert_eq!(
            st,
            [
                ("ok_one", TestStatus::Passed),
                ("bad::two", TestStatus::Failed),
                ("slow", TestStatus::Ignored)
            ]
        );
        let bad = &r.tests[1];
        assert_eq!(bad.location.as_deref(), Some("tests/checks.rs:12:5"));
        let msg = bad.message.as_deref().unwrap();
        assert!(msg.starts_with("debug line the test printed"));
        assert!(msg.contains("defaults to \"member\""));
        assert!(!msg.contains("RUST_BACKTRACE"));
    }

    #[test]
    fn only_the_first_panic_is_kept() {
        let out = "test t ... FAILED\n\nfailures:\n\n---- t stdout ----\n\nthread 'tokio-runtime-worker' (1) panicked at src/lib.rs:3:5:\nnot yet implemented\n\nthread 'tokio-runtime-worker' (2) panicked at src/lib.rs:3:5:\nnot yet implemented\n\nthread 't' (3) panicked at tests/a.rs:9:1:\ncalled `Result::unwrap()` on an `Err` value: JoinError\n\nfailures:\n    t\n\ntest result: FAILED. 0 passed; 1 failed\n";
        let r = parse(out);
        let t = &r.tests[0];
        assert_eq!(t.location.as_deref(), Some("src/lib.rs:3:5"));
        assert_eq!(
            t.message.as_deref(),
            Some("not yet implemented\n(and 2 more panics in other threads)")
        );
    }

    #[test]
    fn long_messages_keep_head_and_tail() {
        let printed: Vec<String> = (0..1000).map(|i| format!("line {i}")).collect();
        let short = shorten(&format!("{}\nthe assertion", printed.join("\n")));
        assert!(short.lines().count() <= MESSAGE_LINES + 1);
        assert!(short.starts_with("line 0\n"));
        assert!(short.ends_with("the assertion"));
        assert!(short.contains("lines cut"));
    }

    #[test]
    fn crash_is_not_finished() {
        let r = parse("running 1 test\ntest a ... ");
        assert!(!r.finished);
        assert!(r.tests.is_empty());
    }
}
