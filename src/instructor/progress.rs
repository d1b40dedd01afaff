//! The instructor tools' progress bar on stderr (hidden when stderr is not a terminal).

use crate::runner::Event;

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    pub fn new(len: usize) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("#>-"),
        );
        Progress { bar }
    }

    pub fn stage(&self, what: &str) {
        self.bar.set_prefix(what.to_owned());
    }

    pub fn reset(&self, len: usize) {
        self.bar.set_length(len as u64);
        self.bar.set_position(0);
    }

    /// Shows a run's events: cargo's progress while it builds, then each finished job.
    pub fn event(&self, event: Event) {
        match event {
            Event::Building(build) => {
                if let Some(status) = build.status.as_ref().filter(|s| s.is_progress()) {
                    self.bar.set_message(match build.total {
                        Some(total) => format!("{}/{total} crates · {status}", build.done),
                        None => status.to_string(),
                    });
                }
            }
            Event::Finished(o) => {
                self.bar.inc(1);
                self.bar.set_message(o.name.clone());
            }
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
