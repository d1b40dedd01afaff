//! What watch mode shows: the last verdict, the footer, the hint, the final message.

use serde_json::json;

use super::Watch;
use crate::ui::{self, BOLD, CYAN, DIM, GREEN, paint};

pub fn hint(hint: &str) -> String {
    format!("\n{}\n{}\n", paint(BOLD, "Hint:"), hint.trim_end())
}

impl Watch {
    pub(super) fn show_last(&mut self) {
        let Some(outcome) = &self.last else { return };
        let mut text = ui::verdict::render_outcome(outcome);
        if outcome.verdict.passed() {
            let course = self.session.course();
            let ex = self.session.current();
            text.push_str(&ui::verdict::passed_footer(
                &course.solution_rel(ex),
                ex.kind,
            ));
        }
        self.clear_screen();
        self.out.say(&text);
        self.out.say(&self.footer());
    }

    pub(super) fn show_finished(&self) {
        self.out.event(json!({"event": "finished"}));
        self.out.say(&format!(
            "\n{}\n",
            self.session.course().manifest.final_message.trim_end()
        ));
    }

    pub(super) fn clear_screen(&self) {
        self.out.clear();
        if let Some(banner) = &self.banner {
            self.out.say(&format!("{}\n\n", paint(BOLD, banner)));
        }
    }

    pub(super) fn footer(&self) -> String {
        let course = self.session.course();
        let ex = self.session.current();
        let state = if self.session.is_done(&ex.name) {
            paint(GREEN, "done")
        } else {
            paint(ui::YELLOW, "pending")
        };
        format!(
            "\n{}  {} · {}\nCurrent: {} ({state})\n{}\n",
            ui::progress_bar(self.session.done_count(), self.session.total(), 30),
            course.topic_title(ex),
            paint(
                DIM,
                &format!(
                    "exercise {} of {}",
                    self.session.current_index() + 1,
                    self.session.total()
                )
            ),
            paint(CYAN, &format!("{}/src/lib.rs", course.exercise_rel(ex))),
            paint(
                DIM,
                "n next · h hint · l list · r re-run · x reset · c check all · q quit"
            )
        )
    }
}
