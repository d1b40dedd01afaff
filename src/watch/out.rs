//! Where watch mode writes: a human terminal (raw or plain), or one JSON event per line.

use std::io::Write;

use crossterm::terminal;

pub enum Out {
    Human { interactive: bool },
    Events,
}

impl Out {
    pub fn is_interactive(&self) -> bool {
        matches!(self, Out::Human { interactive: true })
    }

    /// Text for a person (nothing in events mode).
    pub fn say(&self, text: &str) {
        match self {
            Out::Human { interactive: true } => {
                // Raw mode: the terminal no longer turns \n into \r\n.
                anstream::print!("\r\x1b[2K{}", text.replace('\n', "\r\n"));
                let _ = std::io::stdout().flush();
            }
            Out::Human { interactive: false } => {
                anstream::print!("{text}");
                let _ = std::io::stdout().flush();
            }
            Out::Events => {}
        }
    }

    /// The line rewritten in place while something runs (terminals only).
    pub fn status(&self, line: &str) {
        if self.is_interactive() {
            let width = terminal::size()
                .map_or(80, |(w, _)| w as usize)
                .saturating_sub(1);
            let line: String = line.chars().take(width).collect();
            print!("\r\x1b[2K{line}");
            let _ = std::io::stdout().flush();
        }
    }

    pub fn clear(&self) {
        if self.is_interactive() {
            print!("\x1b[2J\x1b[H");
        }
    }

    /// A machine-readable event (events mode only).
    pub fn event(&self, value: serde_json::Value) {
        if let Out::Events = self {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
    }
}
