//! The learner's session: a course and their progress through it.

use std::path::Path;

use anyhow::{Context, Result};

use crate::course::Course;
use crate::manifest::ExerciseInfo;
use crate::pristine;
use crate::state::State;

pub struct App {
    pub course: Course,
    pub state: State,
}

impl App {
    pub fn open(course_flag: Option<&Path>) -> Result<App> {
        let course = Course::open(course_flag)?;
        if course.manifest.exercises.is_empty() {
            anyhow::bail!(
                "{}: the course lists no exercises",
                course.root.join("info.toml").display()
            );
        }
        let state = State::load(&course.state_dir(), &course.manifest)?;
        if state.fresh {
            // Before the learner's first edit: the only moment a foreign course's files are
            // known to be pristine.
            pristine::ensure_snapshot(&course)
                .context("cannot snapshot the course for `exercise reset`")?;
        }
        Ok(App { course, state })
    }

    pub fn current(&self) -> &ExerciseInfo {
        &self.course.manifest.exercises[self.state.current]
    }

    pub fn save(&mut self) -> Result<()> {
        self.state.save(&self.course.manifest)?;
        Ok(())
    }

    pub fn set_current(&mut self, index: usize) -> Result<()> {
        self.state.current = index;
        self.save()
    }

    /// Records a verdict; returns true when this changed the done set.
    pub fn record(&mut self, name: &str, passed: bool) -> Result<bool> {
        let changed = if passed {
            self.state.done.insert(name.to_owned())
        } else {
            self.state.done.remove(name)
        };
        if changed || self.state.fresh {
            self.save()?;
        }
        Ok(changed)
    }

    pub fn done_count(&self) -> usize {
        self.state.done.len()
    }

    pub fn total(&self) -> usize {
        self.course.manifest.exercises.len()
    }

    pub fn all_done(&self) -> bool {
        self.done_count() == self.total()
    }
}
