//! A line on stderr rewritten in place while something runs.

use std::io::{IsTerminal, Write};

use crate::runner::Event;

/// One line on stderr that is rewritten in place (build progress); silent when stderr is not a
/// terminal so that logs and pipes stay clean.
pub struct LiveLine {
    enabled: bool,
    lock: std::sync::Mutex<()>,
}

impl LiveLine {
    pub fn stderr() -> LiveLine {
        LiveLine {
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
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
    }

    /// Shows what a run reports: cargo's progress while it builds.
    pub fn event(&self, event: Event) {
        if let Event::Building(progress) = event
            && let Some(line) = super::verdict::building(progress)
        {
            self.set(&line);
        }
    }

    pub fn clear(&self) {
        if self.enabled {
            let _guard = self.lock.lock();
            eprint!("\r\x1b[2K");
        }
    }
}
