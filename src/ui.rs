//! Terminal output: colour choice, styles, and how outcomes are shown to a learner.

use std::fmt::Write as _;
use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};

use crate::runner::{Outcome, TestStatus, Verdict};

pub const GREEN: Style = AnsiColor::Green.on_default().bold();
pub const RED: Style = AnsiColor::Red.on_default().bold();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
pub const BOLD: Style = Style::new().bold();
pub const DIM: Style = Style::new().dimmed();
pub const CYAN: Style = AnsiColor::Cyan.on_default();

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Applies the choice to everything printed through `anstream` (which also honours NO_COLOR and
/// strips colour when stdout is not a terminal in `auto`).
pub fn init_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

pub fn strip_ansi(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// `YYYY-MM-DD-HHMMSS` in UTC, for backup folder names.
pub fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A progress bar like `[#####>-----] 5/20`.
pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    let mut bar = String::with_capacity(width + 2);
    bar.push('[');
    for i in 0..width {
        bar.push(if i < filled {
            '#'
        } else if i == filled && done < total {
            '>'
        } else {
            '-'
        });
    }
    bar.push(']');
    format!(
        "{} {done}/{total}",
        paint(if done == total { GREEN } else { BOLD }, &bar)
    )
}

const MAX_FAILURES_SHOWN: usize = 4;

/// The compact verdict: compile errors as cargo renders them, failing tests as name + message.
pub fn render_outcome(o: &Outcome) -> String {
    let mut s = String::new();
    let name = paint(BOLD, &o.exercise);
    let _ = match o.verdict {
        Verdict::Passed => writeln!(
            s,
            "{} {name} passed ({} tests, {:.1} s)",
            paint(GREEN, "✓"),
            o.count(TestStatus::Passed),
            o.duration.as_secs_f64()
        ),
        Verdict::CompileError => writeln!(
            s,
            "{} {name} does not compile yet:\n\n{}",
            paint(RED, "✗"),
            o.details.trim_end()
        ),
        Verdict::TestsFailed => {
            let failed = o.count(TestStatus::Failed);
            let total = failed + o.count(TestStatus::Passed);
            let _ = writeln!(
                s,
                "{} {name}: {failed} of {total} tests failed\n",
                paint(RED, "✗")
            );
            // libtest reports in completion order; sort for a stable screen, and show the first
            // few in full so the footer stays on screen.
            let mut failures: Vec<_> = o.failed_tests().collect();
            failures.sort_by(|a, b| a.name.cmp(&b.name));
            let rest = failures.split_off(failures.len().min(MAX_FAILURES_SHOWN));
            for t in failures {
                let _ = writeln!(s, "  {} {}", paint(RED, "✗"), paint(BOLD, &t.name));
                if let Some(loc) = &t.location {
                    let _ = writeln!(s, "      {}", paint(DIM, &format!("at {loc}")));
                }
                for line in t.message.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(s, "      {line}");
                }
                s.push('\n');
            }
            if !rest.is_empty() {
                let names: Vec<&str> = rest.iter().map(|t| t.name.as_str()).collect();
                let _ = writeln!(s, "  {} more failing: {}\n", rest.len(), names.join(", "));
            }
            Ok(())
        }
        Verdict::TimedOut => writeln!(s, "{} {name} {}", paint(RED, "✗"), o.details),
        Verdict::NoTests => writeln!(
            s,
            "{} {name} has no tests, so it cannot pass: the exercise is broken (please report it)",
            paint(RED, "✗")
        ),
        Verdict::ServicesUnavailable => writeln!(s, "{} {name}: {}", paint(YELLOW, "!"), o.details),
        Verdict::Cancelled => writeln!(s, "{} {name}: run cancelled", paint(YELLOW, "…")),
    };
    for note in &o.notes {
        let _ = writeln!(s, "{}", paint(YELLOW, &format!("note: {note}")));
    }
    s
}

/// Asks a yes/no question on the terminal; without a terminal it refuses rather than guessing.
pub fn confirm(question: &str) -> anyhow::Result<bool> {
    if !stdin_is_tty() {
        let _ = question;
        anyhow::bail!("this needs confirmation and stdin is not a terminal: pass --yes to confirm");
    }
    anstream::print!("{question} [y/N] ");
    use std::io::Write;
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// One line on stderr that is rewritten in place (build progress); silent when stderr is not a
/// terminal so that logs and pipes stay clean.
pub struct StatusLine {
    enabled: bool,
    lock: std::sync::Mutex<()>,
}

impl StatusLine {
    pub fn stderr() -> StatusLine {
        StatusLine {
            enabled: std::io::stderr().is_terminal(),
            lock: std::sync::Mutex::new(()),
        }
    }

    pub fn set(&self, text: &str) {
        if !self.enabled {
            return;
        }
        let width = crossterm::terminal::size()
            .map_or(80, |(w, _)| w as usize)
            .saturating_sub(1);
        let text: String = text.chars().take(width).collect();
        let _guard = self.lock.lock();
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
    }

    /// Shows cargo's progress lines ("Compiling serde v1.0.200").
    pub fn cargo_line(&self, line: &str) {
        let plain = strip_ansi(line);
        let plain = plain.trim();
        if plain.starts_with("Compiling")
            || plain.starts_with("Building")
            || plain.starts_with("Blocking")
        {
            self.set(&format!("⏳ {plain}"));
        }
    }

    pub fn clear(&self) {
        if self.enabled {
            let _guard = self.lock.lock();
            eprint!("\r\x1b[2K");
        }
    }
}
