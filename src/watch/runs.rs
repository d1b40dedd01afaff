//! Runs and check-alls on worker threads, and what their results change.

use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::Result;
use serde_json::json;

use super::{Msg, Watch, Work};
use crate::runner::{self, Cancel, Event, Job, Options, Outcome, Verdict};
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

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(super) fn start_run(&mut self) -> Result<()> {
        if let Some(work) = self.work.take() {
            work.cancel();
        }
        let ex = self.session.current().clone();
        let id = self.new_id();
        let cancel = Cancel::default();
        self.work = Some(Work::Run {
            id,
            cancel: cancel.clone(),
        });
        self.out.event(json!({"event": "run", "exercise": ex.name}));
        self.clear_screen();
        self.out
            .say(&format!("Running {}…\n", paint(BOLD, &ex.name)));
        self.out.say(&self.footer());
        let workspace = self.session.course().workspace_dir();
        let tx = self.tx.clone();
        let services = Arc::clone(&self.services);
        thread::spawn(move || {
            let progress = Mutex::new(tx.clone());
            let on_event = |event: Event| {
                if let Event::Building(build) = event
                    && let Some(line) = ui::verdict::building(build)
                    && let Ok(tx) = progress.lock()
                {
                    let _ = tx.send(Msg::Progress(line));
                }
            };
            let result = match services.lock() {
                Ok(mut services) => runner::run_one(
                    &Job::for_exercise(&ex),
                    &mut services,
                    &Options {
                        workspace: &workspace,
                        target_dir: None,
                        cancel: Some(&cancel),
                        on_event: &on_event,
                        jobs: 1,
                    },
                )
                .map_err(|e| format!("{e:#}")),
                Err(_) => Err("the services layer failed earlier; restart `exercise`".to_owned()),
            };
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
        }));
        self.last = Some(outcome);
        self.show_last();
        if self.session.all_done() {
            self.show_finished();
        }
        Ok(())
    }

    /// Checks every exercise on a worker thread: keys (and `q`) keep working meanwhile.
    pub(super) fn start_check_all(&mut self) -> Result<()> {
        if matches!(self.work, Some(Work::CheckAll { .. })) {
            return Ok(());
        }
        if let Some(work) = self.work.take() {
            work.cancel();
        }
        let course = self.session.course();
        course.ensure_all_present()?;
        let jobs: Vec<Job> = course
            .manifest
            .exercises
            .iter()
            .map(Job::for_exercise)
            .collect();
        let workspace = course.workspace_dir();
        let id = self.new_id();
        let cancel = Cancel::default();
        self.work = Some(Work::CheckAll {
            id,
            cancel: cancel.clone(),
        });
        self.clear_screen();
        self.out.say("Checking every exercise… (q quits)\n");
        let tx = self.tx.clone();
        let services = Arc::clone(&self.services);
        thread::spawn(move || {
            let total = jobs.len();
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
            let result = match services.lock() {
                Ok(mut services) => runner::run_many(
                    &jobs,
                    &mut services,
                    &Options {
                        workspace: &workspace,
                        target_dir: None,
                        cancel: Some(&cancel),
                        on_event: &on_event,
                        jobs: runner::default_jobs(),
                    },
                )
                .map_err(|e| format!("{e:#}")),
                Err(_) => Err("the services layer failed earlier; restart `exercise`".to_owned()),
            };
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
        }
        Ok(())
    }
}
