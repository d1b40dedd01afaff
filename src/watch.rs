//! Watch mode: run the current exercise, re-run it on every save, react to single keys.
//!
//! Everything that happens (a key, a saved file, a finished run) arrives as a [`Msg`] on one
//! channel, so the loop below is the only place that changes the learner's state. Runs happen on
//! a worker thread and are cancelled (their process group killed) when a newer save arrives.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::terminal;
use notify::Watcher as _;
use serde_json::json;

use crate::app::App;
use crate::cli::WatchArgs;
use crate::commands;
use crate::list::{self, ListExit};
use crate::pristine;
use crate::runner::exercise::{Options, run_one};
use crate::runner::{Cancel, Outcome, Verdict};
use crate::services::Services;
use crate::ui::{self, BOLD, CYAN, DIM, GREEN, paint};

/// Editors save in bursts (write, rename, chmod); one run per burst.
const DEBOUNCE: Duration = Duration::from_millis(150);

enum Msg {
    Key(char),
    /// A file under the current exercise changed.
    Changed,
    /// A cargo progress line from the running build.
    Progress(String),
    RunDone {
        id: u64,
        result: Result<Outcome, String>,
    },
    /// stdin closed (non-terminal input).
    InputClosed,
}

pub fn watch(app: App, args: &WatchArgs, services: Services) -> Result<ExitCode> {
    let interactive =
        !args.events && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let (tx, rx) = mpsc::channel();
    let input = if interactive {
        Input::terminal(tx.clone())?
    } else {
        Input::lines(tx.clone())
    };
    let mut w = Watch {
        app,
        out: if args.events {
            Out::Events
        } else {
            Out::Human { interactive }
        },
        tx,
        poll: args.poll,
        watcher: None,
        services: Arc::new(Mutex::new(services)),
        run: None,
        next_id: 0,
        last: None,
        confirm_reset: false,
        banner: None,
        quit_on_eof: args.events,
    };
    let result = w.event_loop(&rx, &input);
    input.stop();
    result
}

struct RunHandle {
    id: u64,
    cancel: Cancel,
}

struct Watch {
    app: App,
    out: Out,
    tx: Sender<Msg>,
    poll: bool,
    watcher: Option<Box<dyn std::any::Any>>,
    services: Arc<Mutex<Services>>,
    run: Option<RunHandle>,
    next_id: u64,
    /// The last finished outcome of the current exercise, re-shown after the list or a hint.
    last: Option<Outcome>,
    confirm_reset: bool,
    /// The welcome message, on a learner's first session.
    banner: Option<String>,
    quit_on_eof: bool,
}

impl Watch {
    fn event_loop(&mut self, rx: &Receiver<Msg>, input: &Input) -> Result<ExitCode> {
        if self.app.state.fresh {
            // Shown above the verdicts until the learner presses a key: every run clears the
            // screen, and a welcome printed once would be gone before anyone read it.
            let welcome = self
                .app
                .course
                .manifest
                .welcome_message
                .trim_end()
                .to_owned();
            self.out
                .event(json!({"event": "welcome", "message": welcome}));
            self.banner = Some(welcome);
            self.app.save()?;
        }
        self.out.event(json!({"event": "start", "exercise": self.app.current().name, "done": self.app.done_count(), "total": self.app.total()}));
        self.switch_to_current()?;
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Changed => self.start_run()?,
                Msg::Progress(line) => self.out.status(&line),
                Msg::RunDone { id, result } => {
                    if self.run.as_ref().is_some_and(|r| r.id == id) {
                        self.run = None;
                        self.finish_run(result.map_err(anyhow::Error::msg)?)?;
                    }
                }
                Msg::InputClosed => {
                    if self.quit_on_eof {
                        break;
                    }
                }
                Msg::Key(key) => {
                    self.banner = None;
                    if self.confirm_reset {
                        self.confirm_reset = false;
                        if key == 'y' {
                            self.reset_current()?;
                        } else {
                            self.out.say("Reset cancelled.\n");
                        }
                        continue;
                    }
                    match key {
                        'q' => break,
                        'n' => self.next()?,
                        'h' => {
                            let ex = self.app.current();
                            self.out.event(
                                json!({"event": "hint", "exercise": ex.name, "hint": ex.hint}),
                            );
                            self.out.say(&format!(
                                "\n{}\n{}\n",
                                paint(BOLD, "Hint:"),
                                ex.hint.trim_end()
                            ));
                        }
                        'r' => self.start_run()?,
                        'x' => {
                            self.confirm_reset = true;
                            let rel = self.app.course.exercise_rel(self.app.current());
                            self.out
                                .event(json!({"event": "confirm", "question": "reset"}));
                            self.out.say(&format!(
                                "\nReset {rel} to its original files? Your version will be kept in a backup. y/N\n"
                            ));
                        }
                        'l' => self.open_list(input)?,
                        'c' => self.check_all()?,
                        _ => {}
                    }
                }
            }
        }
        if let Some(run) = self.run.take() {
            run.cancel.cancel();
        }
        // Stop the services now rather than when the last Arc goes: a run thread that is still
        // unwinding from its cancellation may hold a clone past the end of this function, and
        // the process would exit without removing the containers. The lock waits for it.
        if let Ok(mut services) = self.services.lock() {
            services.shutdown();
        }
        self.out.event(json!({"event": "quit"}));
        self.out.say("\n");
        Ok(ExitCode::SUCCESS)
    }

    /// Watches the current exercise's folder and runs it.
    fn switch_to_current(&mut self) -> Result<()> {
        let dir = self.app.course.exercise_dir(self.app.current());
        self.app
            .course
            .ensure_exercise_present(self.app.current())?;
        self.watcher = None; // stop watching the previous exercise first
        self.watcher = Some(watch_dir(&dir, self.poll, self.tx.clone())?);
        self.last = None;
        self.start_run()
    }

    fn start_run(&mut self) -> Result<()> {
        if let Some(run) = self.run.take() {
            run.cancel.cancel();
        }
        let ex = self.app.current().clone();
        self.next_id += 1;
        let id = self.next_id;
        let cancel = Cancel::default();
        self.run = Some(RunHandle {
            id,
            cancel: cancel.clone(),
        });
        self.out.event(json!({"event": "run", "exercise": ex.name}));
        self.clear_screen();
        self.out
            .say(&format!("Running {}…\n", paint(BOLD, &ex.name)));
        self.out.say(&self.footer());
        let workspace = self.app.course.workspace_dir();
        let tx = self.tx.clone();
        let services = Arc::clone(&self.services);
        thread::spawn(move || {
            let progress_tx = Mutex::new(tx.clone());
            let sink = |line: &str| {
                let plain = ui::strip_ansi(line);
                let plain = plain.trim();
                if (plain.starts_with("Compiling") || plain.starts_with("Blocking"))
                    && let Ok(tx) = progress_tx.lock()
                {
                    let _ = tx.send(Msg::Progress(format!("⏳ {plain}")));
                }
            };
            let result = match services.lock() {
                Ok(mut services) => run_one(
                    &ex,
                    &mut services,
                    &Options {
                        workspace: &workspace,
                        target_dir: None,
                        cancel: Some(&cancel),
                        on_progress: Some(&sink),
                    },
                )
                .map_err(|e| format!("{e:#}")),
                Err(_) => Err("the services layer failed earlier; restart `exercise`".to_owned()),
            };
            let _ = tx.send(Msg::RunDone { id, result });
        });
        Ok(())
    }

    fn finish_run(&mut self, outcome: Outcome) -> Result<()> {
        if outcome.verdict == Verdict::Cancelled {
            return Ok(());
        }
        let ex = self.app.current().clone();
        if outcome.verdict != Verdict::ServicesUnavailable {
            self.app.record(&ex.name, outcome.verdict.passed())?;
        }
        let failed: Vec<&str> = outcome.failed_tests().map(|t| t.name.as_str()).collect();
        self.out.event(json!({
            "event": "verdict",
            "exercise": ex.name,
            "verdict": outcome.verdict,
            "failed_tests": failed,
            "details": ui::strip_ansi(&outcome.details),
        }));
        self.last = Some(outcome);
        self.show_last();
        if self.app.all_done() {
            self.out.event(json!({"event": "finished"}));
            self.out.say(&format!(
                "\n{}\n",
                self.app.course.manifest.final_message.trim_end()
            ));
        }
        Ok(())
    }

    fn show_last(&mut self) {
        let Some(outcome) = &self.last else { return };
        let ex = self.app.current();
        let mut text = ui::render_outcome(outcome);
        if outcome.verdict.passed() {
            text.push_str(&format!(
                "\n{} Compare your code with the solution: {}\nPress {} for the next exercise.\n",
                paint(GREEN, "Exercise done!"),
                paint(CYAN, &self.app.course.solution_rel(ex)),
                paint(BOLD, "n")
            ));
        }
        self.clear_screen();
        self.out.say(&text);
        self.out.say(&self.footer());
    }

    fn clear_screen(&self) {
        self.out.clear();
        if let Some(banner) = &self.banner {
            self.out.say(&format!("{}\n\n", paint(BOLD, banner)));
        }
    }

    fn footer(&self) -> String {
        let ex = self.app.current();
        let state = if self.app.state.is_done(&ex.name) {
            paint(GREEN, "done")
        } else {
            paint(ui::YELLOW, "pending")
        };
        format!(
            "\n{}  {} · {}\nCurrent: {} ({state})\n{}\n",
            ui::progress_bar(self.app.done_count(), self.app.total(), 30),
            self.app.course.topic_title(ex),
            paint(
                DIM,
                &format!(
                    "exercise {} of {}",
                    self.app.state.current + 1,
                    self.app.total()
                )
            ),
            paint(
                CYAN,
                &format!("{}/src/lib.rs", self.app.course.exercise_rel(ex))
            ),
            paint(
                DIM,
                "n next · h hint · l list · r re-run · x reset · c check all · q quit"
            )
        )
    }

    fn next(&mut self) -> Result<()> {
        let current = self.app.current().name.clone();
        if !self.app.state.is_done(&current) {
            self.out
                .event(json!({"event": "error", "message": "current exercise not done"}));
            self.out.say(&format!(
                "\n{current} is not done yet: make its tests pass first (h shows a hint).\n"
            ));
            return Ok(());
        }
        match self
            .app
            .state
            .next_pending(&self.app.course.manifest, self.app.state.current)
        {
            Some(next) => {
                self.app.set_current(next)?;
                self.out
                    .event(json!({"event": "current", "exercise": self.app.current().name}));
                self.switch_to_current()
            }
            None => {
                self.out.event(json!({"event": "finished"}));
                self.out.say(&format!(
                    "\n{}\n",
                    self.app.course.manifest.final_message.trim_end()
                ));
                Ok(())
            }
        }
    }

    fn reset_current(&mut self) -> Result<()> {
        let ex = self.app.current().clone();
        let backup = pristine::reset(&self.app.course, &ex)?;
        self.app.record(&ex.name, false)?;
        self.out
            .event(json!({"event": "reset", "exercise": ex.name, "backup": backup}));
        self.out
            .say(&format!("Reset. Your version is in {}\n", backup.display()));
        // The file watcher sees the restored files and starts a run.
        Ok(())
    }

    fn open_list(&mut self, input: &Input) -> Result<()> {
        if !matches!(self.out, Out::Human { interactive: true }) {
            self.out
                .say("The interactive list needs a terminal; `exercise list` prints a table.\n");
            return Ok(());
        }
        let before = self.app.state.current;
        input.pause();
        let exit = list::interactive(&mut self.app);
        input.resume()?;
        match exit? {
            ListExit::Jumped(_) if self.app.state.current != before => self.switch_to_current(),
            _ => {
                self.show_last();
                Ok(())
            }
        }
    }

    fn check_all(&mut self) -> Result<()> {
        if let Some(run) = self.run.take() {
            run.cancel.cancel();
        }
        self.clear_screen();
        self.out.say("Checking every exercise…\n");
        let before = self.app.state.current;
        let outcomes = {
            let mut services = self
                .services
                .lock()
                .map_err(|_| anyhow::anyhow!("services layer poisoned"))?;
            // The raw terminal would garble the summary's line endings.
            let _cooked = Cooked::new(matches!(self.out, Out::Human { interactive: true }));
            let outcomes = commands::check_all_outcomes(
                &mut self.app,
                commands::default_jobs(),
                &mut services,
            )?;
            if !matches!(self.out, Out::Events) {
                commands::print_check_all_summary(&self.app, &outcomes);
            }
            outcomes
        };
        let passed = outcomes.iter().filter(|o| o.verdict.passed()).count();
        self.out.event(json!({"event": "check_all", "passed": passed, "total": outcomes.len(), "done": self.app.done_count()}));
        self.out.say(&self.footer());
        if self.app.state.current != before {
            self.out
                .event(json!({"event": "current", "exercise": self.app.current().name}));
            self.switch_to_current()?;
        }
        Ok(())
    }
}

/// Where watch mode writes: a human terminal, a plain stream, or JSON events.
enum Out {
    Human { interactive: bool },
    Events,
}

impl Out {
    fn say(&self, text: &str) {
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

    fn status(&self, line: &str) {
        if let Out::Human { interactive: true } = self {
            let width = terminal::size()
                .map_or(80, |(w, _)| w as usize)
                .saturating_sub(1);
            let line: String = line.chars().take(width).collect();
            print!("\r\x1b[2K{line}");
            let _ = std::io::stdout().flush();
        }
    }

    fn clear(&self) {
        if let Out::Human { interactive: true } = self {
            print!("\x1b[2J\x1b[H");
        }
    }

    fn event(&self, value: serde_json::Value) {
        if let Out::Events = self {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{value}");
            let _ = out.flush();
        }
    }
}

/// Leaves raw mode for the lifetime of the guard.
struct Cooked(bool);

impl Cooked {
    fn new(active: bool) -> Cooked {
        if active {
            let _ = terminal::disable_raw_mode();
        }
        Cooked(active)
    }
}

impl Drop for Cooked {
    fn drop(&mut self) {
        if self.0 {
            let _ = terminal::enable_raw_mode();
        }
    }
}

/// Watches `dir` recursively and sends one `Msg::Changed` per burst of edits.
///
/// notify is used directly rather than through notify-debouncer-mini because the debouncer drops
/// the event kind, and the kind matters: rustc *opening* a source file (an access event) must
/// not count as an edit, or every run would trigger the next one.
fn watch_dir(dir: &std::path::Path, poll: bool, tx: Sender<Msg>) -> Result<Box<dyn std::any::Any>> {
    let (raw_tx, raw_rx) = mpsc::channel::<()>();
    let handler = move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res
            && is_edit(&event.kind)
            && event.paths.iter().any(|p| !is_ignored(p))
        {
            let _ = raw_tx.send(());
        }
    };
    // Debounce: after the first edit, wait until the burst has been quiet for DEBOUNCE. The
    // thread ends when the watcher (and with it `raw_tx`) is dropped.
    thread::spawn(move || {
        while raw_rx.recv().is_ok() {
            loop {
                match raw_rx.recv_timeout(DEBOUNCE) {
                    Ok(()) => continue,
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            if tx.send(Msg::Changed).is_err() {
                return;
            }
        }
    });
    let boxed: Box<dyn std::any::Any> = if poll {
        let config = notify::Config::default().with_poll_interval(Duration::from_millis(250));
        let mut w = notify::PollWatcher::new(handler, config)?;
        w.watch(dir, notify::RecursiveMode::Recursive)?;
        Box::new(w)
    } else {
        let mut w = notify::RecommendedWatcher::new(handler, notify::Config::default())?;
        w.watch(dir, notify::RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {} (try --poll)", dir.display()))?;
        Box::new(w)
    };
    Ok(boxed)
}

fn is_edit(kind: &notify::EventKind) -> bool {
    use notify::EventKind::{Any, Create, Modify, Remove};
    use notify::event::ModifyKind;
    match kind {
        Create(_) | Remove(_) | Any => true,
        Modify(ModifyKind::Metadata(_)) => false,
        Modify(_) => true,
        _ => false,
    }
}

/// Build output and editor droppings are not edits.
fn is_ignored(path: &std::path::Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    path.components().any(|c| c.as_os_str() == "target")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name == "4913" // vim's write test file
}

/// Keys: single key presses from a raw terminal, or characters from stdin lines.
struct Input {
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    parked: Arc<AtomicBool>,
    raw: bool,
    _thread: Option<thread::JoinHandle<()>>,
}

impl Input {
    fn terminal(tx: Sender<Msg>) -> Result<Input> {
        terminal::enable_raw_mode().context("cannot put the terminal in raw mode")?;
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(false));
        let parked = Arc::new(AtomicBool::new(false));
        let (s, p, k) = (stop.clone(), paused.clone(), parked.clone());
        let handle = thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                if p.load(Ordering::SeqCst) {
                    k.store(true, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
                k.store(false, Ordering::SeqCst);
                if !event::poll(Duration::from_millis(50)).unwrap_or(false) {
                    continue;
                }
                let Ok(Event::Key(key)) = event::read() else {
                    continue;
                };
                if key.kind != KeyEventKind::Press {
                    continue;
                }
                let c = match key.code {
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => 'q',
                    KeyCode::Char(c) => c.to_ascii_lowercase(),
                    KeyCode::Esc => 'q',
                    _ => continue,
                };
                if tx.send(Msg::Key(c)).is_err() {
                    break;
                }
            }
        });
        Ok(Input {
            stop,
            paused,
            parked,
            raw: true,
            _thread: Some(handle),
        })
    }

    fn lines(tx: Sender<Msg>) -> Input {
        thread::spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                for c in line.chars().filter(|c| !c.is_whitespace()) {
                    if tx.send(Msg::Key(c)).is_err() {
                        return;
                    }
                }
            }
            let _ = tx.send(Msg::InputClosed);
        });
        Input {
            stop: Arc::new(AtomicBool::new(false)),
            paused: Arc::new(AtomicBool::new(false)),
            parked: Arc::new(AtomicBool::new(true)),
            raw: false,
            _thread: None,
        }
    }

    /// Stops reading keys (the list UI reads them itself) and waits until the reader is parked.
    fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
        for _ in 0..50 {
            if self.parked.load(Ordering::SeqCst) {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn resume(&self) -> Result<()> {
        if self.raw {
            terminal::enable_raw_mode()?;
        }
        self.paused.store(false, Ordering::SeqCst);
        Ok(())
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if self.raw {
            let _ = terminal::disable_raw_mode();
        }
    }
}
