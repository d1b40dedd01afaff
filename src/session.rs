//! The learner's session: a course and their progress through it. The progress is private;
//! it changes only through the methods below, which save it and say what changed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::progress::Progress;
use crate::course::{Course, ExerciseInfo, pristine};
use crate::runner::{Outcome, Verdict};

pub struct Session {
    course: Course,
    progress: Progress,
}

/// What recording a verdict changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The exercise became done, or stopped being done.
    Changed,
    Unchanged,
    /// Not a verdict on the learner's code (services missing, run cancelled): nothing recorded.
    NotAVerdict,
}

impl Session {
    pub fn open(course_flag: Option<&Path>) -> Result<Session> {
        let course = Course::open(course_flag)?;
        if course.manifest.exercises.is_empty() {
            anyhow::bail!(
                "{}: the course lists no exercises",
                course.root.join("info.toml").display()
            );
        }
        let progress = Progress::load(&course.state_dir(), &course.manifest)?;
        if progress.is_fresh() {
            // Before the learner's first edit: the only moment a foreign course's files are
            // known to be pristine.
            pristine::ensure_snapshot(&course)
                .context("cannot snapshot the course for `exercise reset`")?;
        }
        Ok(Session { course, progress })
    }

    pub fn course(&self) -> &Course {
        &self.course
    }

    pub fn current(&self) -> &ExerciseInfo {
        &self.course.manifest.exercises[self.progress.current()]
    }

    pub fn current_index(&self) -> usize {
        self.progress.current()
    }

    /// The named exercise (with a did-you-mean error), or the current one.
    pub fn exercise_or_current(&self, name: Option<&str>) -> Result<&ExerciseInfo> {
        match name {
            Some(n) => self.course.exercise(n),
            None => Ok(self.current()),
        }
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.progress.is_done(name)
    }

    /// No progress file existed when the session opened: the learner's very first session.
    pub fn is_first_session(&self) -> bool {
        self.progress.is_fresh()
    }

    pub fn done_count(&self) -> usize {
        self.progress.done_count()
    }

    pub fn total(&self) -> usize {
        self.course.manifest.exercises.len()
    }

    pub fn all_done(&self) -> bool {
        self.done_count() == self.total()
    }

    /// Writes the progress file now (the first session writes it before any verdict).
    pub fn save(&mut self) -> Result<()> {
        self.progress.save(&self.course.manifest)?;
        Ok(())
    }

    /// Makes exercise `index` the current one.
    pub fn select(&mut self, index: usize) -> Result<()> {
        self.progress.set_current(index);
        self.save()
    }

    /// Moves to the next exercise that is not done; None when every exercise is done.
    pub fn advance(&mut self) -> Result<Option<&ExerciseInfo>> {
        match self
            .progress
            .next_pending(&self.course.manifest, self.progress.current())
        {
            Some(next) => {
                self.select(next)?;
                Ok(Some(self.current()))
            }
            None => Ok(None),
        }
    }

    /// Records a run's verdict on `outcome.name` (an exercise of this course).
    pub fn record(&mut self, outcome: &Outcome) -> Result<Recorded> {
        if matches!(
            outcome.verdict,
            Verdict::ServicesUnavailable | Verdict::Cancelled
        ) {
            return Ok(Recorded::NotAVerdict);
        }
        let changed = self.progress.mark(&outcome.name, outcome.verdict.passed());
        if changed || self.progress.is_fresh() {
            self.save()?;
        }
        Ok(if changed {
            Recorded::Changed
        } else {
            Recorded::Unchanged
        })
    }

    /// Records the verdicts of a check-all; when the current exercise is done, moves on to the
    /// next pending one. Returns whether the current exercise changed.
    pub fn record_all(&mut self, outcomes: &[Outcome]) -> Result<bool> {
        for o in outcomes {
            if !matches!(o.verdict, Verdict::ServicesUnavailable | Verdict::Cancelled) {
                self.progress.mark(&o.name, o.verdict.passed());
            }
        }
        let before = self.progress.current();
        if self.progress.is_done(&self.current().name)
            && let Some(next) = self.progress.next_pending(&self.course.manifest, before)
        {
            self.progress.set_current(next);
        }
        self.save()?;
        Ok(self.progress.current() != before)
    }

    /// Restores an exercise's original files (the learner's version goes to a backup, whose
    /// folder is returned) and marks it pending.
    pub fn reset(&mut self, ex: &ExerciseInfo) -> Result<PathBuf> {
        let backup = pristine::reset(&self.course, ex)?;
        if self.progress.mark(&ex.name, false) || self.progress.is_fresh() {
            self.save()?;
        }
        Ok(backup)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::runner::Outcome;

    fn course() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = String::from(
            "format_version = 1\nwelcome_message = \"w\"\nfinal_message = \"f\"\n\
             [[topics]]\nname = \"t\"\ntitle = \"T\"\ndir = \"t\"\n",
        );
        for name in ["a", "b", "c"] {
            toml.push_str(&format!(
                "[[exercises]]\nname = \"{name}\"\ntopic = \"t\"\ndir = \"t/{name}\"\nhint = \"h\"\n"
            ));
            let lib = dir.path().join(format!("exercises/t/{name}/src/lib.rs"));
            crate::fs::write_if_changed(&lib, b"// pristine").unwrap();
        }
        std::fs::write(dir.path().join("info.toml"), toml).unwrap();
        dir
    }

    fn outcome(name: &str, verdict: Verdict) -> Outcome {
        Outcome::new(name, verdict, String::new(), 60)
    }

    #[test]
    fn verdicts_change_progress_and_non_verdicts_do_not() {
        let dir = course();
        let mut s = Session::open(Some(dir.path())).unwrap();
        assert!(s.is_first_session());
        assert_eq!(
            s.record(&outcome("a", Verdict::Passed)).unwrap(),
            Recorded::Changed
        );
        assert_eq!(
            s.record(&outcome("a", Verdict::Passed)).unwrap(),
            Recorded::Unchanged
        );
        for v in [Verdict::ServicesUnavailable, Verdict::Cancelled] {
            assert_eq!(s.record(&outcome("a", v)).unwrap(), Recorded::NotAVerdict);
        }
        assert!(s.is_done("a"), "a missing service does not undo a pass");
        assert_eq!(
            s.record(&outcome("a", Verdict::TestsFailed)).unwrap(),
            Recorded::Changed
        );
        assert!(!s.is_done("a"));
        let again = Session::open(Some(dir.path())).unwrap();
        assert!(
            !again.is_first_session(),
            "the first verdict saved the progress"
        );
    }

    #[test]
    fn advance_skips_done_exercises_and_check_all_moves_on() {
        let dir = course();
        let mut s = Session::open(Some(dir.path())).unwrap();
        s.record(&outcome("b", Verdict::Passed)).unwrap();
        assert_eq!(
            s.advance().unwrap().map(|e| e.name.clone()),
            Some("c".into())
        );
        s.select(0).unwrap();
        let moved = s
            .record_all(&[
                outcome("a", Verdict::Passed),
                outcome("b", Verdict::Passed),
                outcome("c", Verdict::CompileError),
            ])
            .unwrap();
        assert!(moved);
        assert_eq!(s.current().name, "c");
        s.record(&outcome("c", Verdict::Passed)).unwrap();
        assert!(s.all_done());
        assert!(s.advance().unwrap().is_none());
    }

    #[test]
    fn reset_restores_and_marks_pending() {
        let dir = course();
        let mut s = Session::open(Some(dir.path())).unwrap();
        s.record(&outcome("a", Verdict::Passed)).unwrap();
        let lib = dir.path().join("exercises/t/a/src/lib.rs");
        std::fs::write(&lib, "mine").unwrap();
        let ex = s.current().clone();
        let backup = s.reset(&ex).unwrap();
        assert!(!s.is_done("a"));
        assert_eq!(std::fs::read_to_string(&lib).unwrap(), "// pristine");
        assert_eq!(
            std::fs::read_to_string(backup.join("src/lib.rs")).unwrap(),
            "mine"
        );
    }
}
