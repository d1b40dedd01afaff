//! Terminal output: colour choice and styles (here), how outcomes become words (`verdict`, the
//! one place that does it), the live status line (`live`) and questions (`prompt`).

mod live;
mod prompt;
pub mod terminal;
pub mod verdict;

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};

pub use live::LiveLine;
pub use prompt::confirm;

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

/// An error for the terminal: the first line says what went wrong, the causes follow, one per
/// line.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = format!("{} {err}", paint(RED, "error:"));
    for cause in err.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    text
}
