//! Watch mode: run the current exercise, re-run it on every save, react to single keys.
//!
//! Everything that happens — a key, a saved file, a finished run or check-all, a watcher error,
//! Ctrl-C — arrives as a [`Msg`] on one channel, so the loop below is the only place that
//! changes the learner's session. Runs and check-alls happen on worker threads and are
//! cancelled (their process groups killed) when a newer save arrives or the learner quits.

mod files;
mod input;
mod out;
mod runs;
mod screen;

use std::io::IsTerminal;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use anyhow::Result;
use serde_json::json;

use crate::exit::Exit;
use crate::list::{self, ListExit};
use crate::runner::{Cancel, Outcome};
use crate::services::Services;
use crate::session::Session;
use files::FileWatcher;
use input::Input;
use out::Out;

/// How watch mode runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct WatchOptions {
    /// Poll the file system instead of OS notifications.
    pub poll: bool,
    /// One JSON event per line on stdout, keys from stdin lines.
    pub events: bool,
    /// After a verdict, build the rest of the course in the background (see `runs.rs`).
    pub prepare: bool,
}

pub enum Msg {
    Key(char),
    /// A file under the current exercise changed.
    Changed,
    /// The file watcher failed (shown to the learner).
    WatchError(String),
    /// A progress line from the running build or check-all.
    Progress(String),
    RunDone {
        id: u64,
        result: Result<Outcome, String>,
    },
    CheckAllDone {
        id: u64,
        result: Result<Vec<Outcome>, String>,
    },
    /// The background preparation ended: finished (true) or preempted (false).
    PrepareDone {
        id: u64,
        result: Result<bool, String>,
    },
    /// stdin closed (non-terminal input).
    InputClosed,
    /// Ctrl-C or SIGTERM.
    Interrupted,
}

pub fn watch(session: Session, opts: WatchOptions, services: Services) -> Result<Exit> {
    let interactive =
        !opts.events && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let (tx, rx) = mpsc::channel();
    let interrupt_tx = Mutex::new(tx.clone());
    crate::cleanup::subscribe(move || {
        if let Ok(tx) = interrupt_tx.lock() {
            let _ = tx.send(Msg::Interrupted);
        }
    });
    let input = if interactive {
        Input::terminal(tx.clone())?
    } else {
        Input::lines(tx.clone())
    };
    let mut w = Watch {
        session,
        out: if opts.events {
            Out::Events
        } else {
            Out::Human { interactive }
        },
        tx,
        poll: opts.poll,
        watcher: None,
        services: Arc::new(Mutex::new(services)),
        work: None,
        next_id: 0,
        rerun_after_check_all: false,
        prepare: if opts.prepare {
            Prepare::Pending
        } else {
            Prepare::Off
        },
        last: None,
        confirm_reset: false,
        banner: None,
        quit_on_eof: opts.events,
    };
    w.event_loop(&rx, &input)
    // `input` drops here, restoring the terminal.
}

/// What runs on a worker thread right now.
enum Work {
    Run {
        id: u64,
        cancel: Cancel,
    },
    CheckAll {
        id: u64,
        cancel: Cancel,
    },
    /// Building the rest of the course at low priority; anything the learner asks for
    /// preempts it, and it resumes once that is done.
    Prepare {
        id: u64,
        cancel: Cancel,
    },
}

impl Work {
    fn cancel(&self) {
        match self {
            Work::Run { cancel, .. }
            | Work::CheckAll { cancel, .. }
            | Work::Prepare { cancel, .. } => cancel.cancel(),
        }
    }
}

/// Where the background preparation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prepare {
    /// Turned off (`--no-prepare`).
    Off,
    /// Not finished yet: starts (again) whenever nothing else runs.
    Pending,
    Done,
}

struct Watch {
    session: Session,
    out: Out,
    tx: Sender<Msg>,
    poll: bool,
    watcher: Option<FileWatcher>,
    services: Arc<Mutex<Services>>,
    work: Option<Work>,
    next_id: u64,
    /// A save arrived while check-all ran: run the exercise when it is done.
    rerun_after_check_all: bool,
    prepare: Prepare,
    /// The last finished outcome of the current exercise, re-shown after the list or a hint.
    last: Option<Outcome>,
    confirm_reset: bool,
    /// The welcome message, on a learner's first session.
    banner: Option<String>,
    quit_on_eof: bool,
}

impl Watch {
    fn event_loop(&mut self, rx: &Receiver<Msg>, input: &Input) -> Result<Exit> {
        if self.session.is_first_session() {
            // Shown above the verdicts until the learner presses a key: every run clears the
            // screen, and a welcome printed once would be gone before anyone read it.
            let welcome = self
                .session
                .course()
                .manifest
                .welcome_message
                .trim_end()
                .to_owned();
            self.out
                .event(json!({"event": "welcome", "message": welcome}));
            self.banner = Some(welcome);
            self.session.save()?;
        }
        self.out.event(json!({"event": "start", "exercise": self.session.current().name, "done": self.session.done_count(), "total": self.session.total()}));
        self.switch_to_current()?;
        let mut exit = Exit::Success;
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Changed => self.changed()?,
                Msg::WatchError(e) => {
                    self.out.event(json!({"event": "error", "message": e}));
                    self.out.say(&format!(
                        "\nThe file watcher failed: {e}\nSaves may go unnoticed: press r to run, or restart with --poll.\n"
                    ));
                }
                Msg::Progress(line) => self.out.status(&line),
                Msg::RunDone { id, result } => {
                    if matches!(self.work, Some(Work::Run { id: current, .. }) if current == id) {
                        self.work = None;
                        self.finish_run(result.map_err(anyhow::Error::msg)?)?;
                    }
                }
                Msg::CheckAllDone { id, result } => {
                    if matches!(self.work, Some(Work::CheckAll { id: current, .. }) if current == id)
                    {
                        self.work = None;
                        self.finish_check_all(result.map_err(anyhow::Error::msg)?)?;
                    }
                }
                Msg::PrepareDone { id, result } => {
                    if matches!(self.work, Some(Work::Prepare { id: current, .. }) if current == id)
                    {
                        self.work = None;
                        self.finish_prepare(result);
                    }
                }
                Msg::InputClosed => {
                    if self.quit_on_eof {
                        break;
                    }
                }
                Msg::Interrupted => {
                    exit = Exit::Interrupted;
                    break;
                }
                Msg::Key(key) => {
                    if !self.key(key, input)? {
                        break;
                    }
                }
            }
        }
        if let Some(work) = self.work.take() {
            work.cancel();
        }
        // Stop the services now rather than when the last Arc goes: a worker that is still
        // unwinding from its cancellation may hold a clone past the end of this function, and
        // the process would exit without removing the containers. The lock waits for it.
        if let Ok(mut services) = self.services.lock() {
            services.shutdown();
        }
        self.out.event(json!({"event": "quit"}));
        self.out.say("\n");
        Ok(exit)
    }

    /// Handles one key; false means quit.
    fn key(&mut self, key: char, input: &Input) -> Result<bool> {
        self.banner = None;
        if self.confirm_reset {
            self.confirm_reset = false;
            if key == 'y' {
                self.reset_current()?;
            } else {
                self.out.say("Reset cancelled.\n");
            }
            return Ok(true);
        }
        match key {
            'q' => return Ok(false),
            'n' => self.next()?,
            'h' => {
                let ex = self.session.current();
                self.out
                    .event(json!({"event": "hint", "exercise": ex.name, "hint": ex.hint}));
                self.out.say(&screen::hint(&ex.hint));
            }
            'r' => self.changed()?,
            'x' => {
                self.confirm_reset = true;
                let rel = self.session.course().exercise_rel(self.session.current());
                self.out
                    .event(json!({"event": "confirm", "question": "reset"}));
                self.out.say(&format!(
                    "\nReset {rel} to its original files? Your version will be kept in a backup. y/N\n"
                ));
            }
            'l' => self.open_list(input)?,
            'c' => self.start_check_all()?,
            _ => {}
        }
        Ok(true)
    }

    /// Watches the current exercise's folder and runs it.
    fn switch_to_current(&mut self) -> Result<()> {
        let course = self.session.course();
        let ex = self.session.current();
        course.ensure_exercise_present(ex)?;
        let dir = course.exercise_dir(ex);
        self.watcher = None; // stop watching the previous exercise first
        self.watcher = Some(FileWatcher::start(&dir, self.poll, self.tx.clone())?);
        self.last = None;
        self.start_run()
    }

    fn next(&mut self) -> Result<()> {
        let current = self.session.current().name.clone();
        if !self.session.is_done(&current) {
            self.out
                .event(json!({"event": "error", "message": "current exercise not done"}));
            self.out.say(&format!(
                "\n{current} is not done yet: make its tests pass first (h shows a hint).\n"
            ));
            return Ok(());
        }
        if self.session.advance()?.is_some() {
            self.out
                .event(json!({"event": "current", "exercise": self.session.current().name}));
            self.switch_to_current()
        } else {
            self.show_finished();
            Ok(())
        }
    }

    fn reset_current(&mut self) -> Result<()> {
        let ex = self.session.current().clone();
        let backup = self.session.reset(&ex)?;
        self.out
            .event(json!({"event": "reset", "exercise": ex.name, "backup": backup}));
        self.out
            .say(&format!("Reset. Your version is in {}\n", backup.display()));
        // The file watcher sees the restored files and starts a run.
        Ok(())
    }

    fn open_list(&mut self, input: &Input) -> Result<()> {
        if !self.out.is_interactive() {
            self.out
                .say("The interactive list needs a terminal; `exercise list` prints a table.\n");
            return Ok(());
        }
        let before = self.session.current_index();
        input.pause();
        let exit = list::interactive(&mut self.session);
        input.resume()?;
        match exit? {
            ListExit::Jumped(_) if self.session.current_index() != before => {
                self.switch_to_current()
            }
            _ => {
                self.show_last();
                Ok(())
            }
        }
    }
}
