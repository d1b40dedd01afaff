//! Runs and check-alls on worker threads, and what their results change.

use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::Result;
use serde_json::json;

use super::{Msg, Watch, Work};
use crate::runner::{self, Cancel, Event, Options, Outcome, Verdict};
use crate::services::Services;
use crate::ui::{self, BOLD, paint};

impl Watch {
    /// A save (or `r`): run now, or once a running check-all is done.
    pub(super) fn changed(&mut self) -> Result<()> {
        if matches!(self.work, Some(Work::CheckAll { .. })) {
            self.rerun_after_check_all = true;
            return Ok(());
        }
        self.start_run()
    }

    /// Starts tracking a new piece of work (`Work::Run { .. }` and friends); returns its id
    /// and the cancel flag its worker watches.
    fn begin(&mut self, work: fn(u64, Cancel) -> Work) -> (u64, Cancel) {
        self.next_id += 1;
        let cancel = Cancel::default();
        self.work = Some(work(self.next_id, cancel.clone()));
        (self.next_id, cancel)
    }

    /// Cancels what runs in the background; preparation says it was preempted.
    fn preempt(&mut self) {
        if let Some(work) = self.work.take() {
            work.cancel();
            if matches!(work, Work::Prepare { .. }) {
                self.out
                    .event(json!({"event": "prepare", "state": "preempted"}));
            }
        }
    }

    pub(super) fn start_run(&mut self) -> Result<()> {
        self.preempt();
        let ex = self.session.current().clone();
        let (id, cancel) = self.begin(|id, cancel| Work::Run { id, cancel });
        self.out.event(json!({"event": "run", "exercise": ex.name}));
        self.clear_screen();
        self.out
            .say(&format!("Running {}…\n", paint(BOLD, &ex.name)));
        self.out.say(&self.footer());
        let course = self.session.course().clone();
        let tx = self.tx.clone();
        let services = Arc::clone(&self.services);
        thread::spawn(move || {
            let workspace = course.workspace_dir();
            let progress = Mutex::new(tx.clone());
            let on_event = |event: Event| {
                if let Event::Building(build) = event
                    && let Some(line) = ui::verdict::building(build)
                    && let Ok(tx) = progress.lock()
                {
                    let _ = tx.send(Msg::Progress(line));
                }
            };
            let result = with_services(&services, |services| {
                crate::check::run_one(
                    &course,
                    &ex,
                    services,
                    &Options {
                        workspace: &workspace,
                        target_dir: None,
                        cancel: Some(&cancel),
                        on_event: &on_event,
                        jobs: 1,
                        sandbox: None,
                    },
                )
            });
            let _ = tx.send(Msg::RunDone { id, result });
        });
        Ok(())
    }

    pub(super) fn finish_run(&mut self, outcome: Outcome) -> Result<()> {
        if outcome.verdict == Verdict::Cancelled {
            return Ok(());
        }
        self.session.record(&outcome)?;
        let failed: Vec<&str> = outcome.failed_tests().map(|t| t.name.as_str()).collect();
        self.out.event(json!({
            "event": "verdict",
            "exercise": outcome.name,
            "verdict": outcome.verdict,
            "failed_tests": failed,
            "details": ui::strip_ansi(&outcome.details),
            "bugs": outcome.bugs.as_ref().map(|b| json!({
                "caught": b.caught.len(),
                "total": b.total(),
                "missed": b.missed,
            })),
        }));
        self.last = Some(outcome);
        self.show_last();
        if self.session.all_done() {
            self.show_finished();
        }
        self.start_prepare();
        Ok(())
    }

    /// Builds every exercise's tests (and so every dependency of the course) in the background,
    /// once nothing else runs: a learner who reaches a new topic finds it built. Never two cargo
    /// builds at once: it only starts when no run or check-all is going, and each of those
    /// preempts it first.
    pub(super) fn start_prepare(&mut self) {
        if self.prepare != super::Prepare::Pending || self.work.is_some() {
            return;
        }
        let course = self.session.course();
        // Topic by topic from the learner's own: the next exercises are built first, and a
        // preempted preparation resumes there (cargo finds the finished topics fresh).
        let topics: Vec<(String, Vec<String>)> = course
            .manifest
            .topics_from(&self.session.current().name)
            .into_iter()
            .filter(|(_, _, exercises)| !exercises.is_empty())
            .map(|(number, _, exercises)| {
                let names = exercises.iter().map(|e| e.name.clone()).collect();
                (format!("topic {number}"), names)
            })
            .collect();
        let workspace = course.workspace_dir();
        let (id, cancel) = self.begin(|id, cancel| Work::Prepare { id, cancel });
        self.out
            .event(json!({"event": "prepare", "state": "started"}));
        let tx = self.tx.clone();
        thread::spawn(move || {
            let progress = Mutex::new(tx.clone());
            let mut result = Ok(true);
            for (label, packages) in &topics {
                let on_progress = |p: &runner::BuildProgress| {
                    let Some(total) = p.total else { return };
                    let line = format!(
                        "preparing {label} in the background: {}/{total} crates",
                        p.done
                    );
                    if let Ok(tx) = progress.lock() {
                        let _ = tx.send(Msg::Progress(line));
                    }
                };
                let names: Vec<&str> = packages.iter().map(String::as_str).collect();
                match runner::prepare(&workspace, &names, &cancel, &on_progress) {
                    Ok(true) => {}
                    Ok(false) => {
                        result = Ok(false);
                        break;
                    }
                    // A topic that cannot be built (no network for a crate, say) does not
                    // keep the others from being prepared; the first error is reported.
                    Err(e) => {
                        if result.is_ok() {
                            result = Err(format!("{label}: {e:#}"));
                        }
                    }
                }
            }
            let _ = tx.send(Msg::PrepareDone { id, result });
        });
    }

    pub(super) fn finish_prepare(&mut self, result: Result<bool, String>) {
        match result {
            Ok(true) => {
                self.prepare = super::Prepare::Done;
                self.out.event(json!({"event": "prepare", "state": "done"}));
                self.out.status("");
            }
            // Preempted: it resumes after what preempted it.
            Ok(false) => {}
            Err(e) => {
                // Not worth stopping watch for: the next runs build what they need.
                self.prepare = super::Prepare::Done;
                self.out
                    .event(json!({"event": "prepare", "state": "failed", "message": e}));
            }
        }
    }

    /// Checks every exercise on a worker thread: keys (and `q`) keep working meanwhile.
    pub(super) fn start_check_all(&mut self) -> Result<()> {
        if matches!(self.work, Some(Work::CheckAll { .. })) {
            return Ok(());
        }
        self.preempt();
        let course = self.session.course();
        course.ensure_all_present()?;
        let course = self.session.course().clone();
        let (id, cancel) = self.begin(|id, cancel| Work::CheckAll { id, cancel });
        self.clear_screen();
        self.out.say("Checking every exercise… (q quits)\n");
        let tx = self.tx.clone();
        let services = Arc::clone(&self.services);
        thread::spawn(move || {
            let workspace = course.workspace_dir();
            let exercises: Vec<&crate::course::ExerciseInfo> =
                course.manifest.exercises.iter().collect();
            let total = exercises.len();
            let progress = Mutex::new((tx.clone(), 0usize));
            let on_event = |event: Event| {
                let Ok(mut p) = progress.lock() else { return };
                let line = match event {
                    Event::Building(build) => match ui::verdict::building(build) {
                        Some(line) => line,
                        None => return,
                    },
                    Event::Finished(o) => {
                        p.1 += 1;
                        format!("Testing {}/{total}: {}", p.1, o.name)
                    }
                };
                let _ = p.0.send(Msg::Progress(line));
            };
            let result = with_services(&services, |services| {
                crate::check::run(
                    &course,
                    &exercises,
                    services,
                    &Options {
                        workspace: &workspace,
                        target_dir: None,
                        cancel: Some(&cancel),
                        on_event: &on_event,
                        jobs: runner::default_jobs(),
                        sandbox: None,
                    },
                )
            });
            let _ = tx.send(Msg::CheckAllDone { id, result });
        });
        Ok(())
    }

    pub(super) fn finish_check_all(&mut self, outcomes: Vec<Outcome>) -> Result<()> {
        let moved = self.session.record_all(&outcomes)?;
        let passed = outcomes.iter().filter(|o| o.verdict.passed()).count();
        self.out.event(json!({"event": "check_all", "passed": passed, "total": outcomes.len(), "done": self.session.done_count()}));
        let next = (!self.session.all_done()).then(|| self.session.current().name.clone());
        self.out.say(&ui::verdict::check_all_summary(
            &outcomes,
            self.session.done_count(),
            self.session.total(),
            next.as_deref(),
        ));
        self.out.say(&self.footer());
        if moved {
            self.out
                .event(json!({"event": "current", "exercise": self.session.current().name}));
            self.switch_to_current()?;
        } else if std::mem::take(&mut self.rerun_after_check_all) {
            self.start_run()?;
        } else {
            self.start_prepare();
        }
        Ok(())
    }
}

/// Runs `f` on a worker thread with the services the watch session shares, its error as the
/// text the screen shows.
fn with_services<T>(
    services: &Mutex<Services>,
    f: impl FnOnce(&mut Services) -> anyhow::Result<T>,
) -> Result<T, String> {
    match services.lock() {
        Ok(mut services) => f(&mut services).map_err(|e| format!("{e:#}")),
        Err(_) => Err("the services layer failed earlier; restart `exercise`".to_owned()),
    }
}
