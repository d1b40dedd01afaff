//! What must not outlive the CLI — child process groups, scratch folders, and whatever a higher
//! layer registers (the container provider's containers) — and what Ctrl-C does.
//!
//! A signal is an event, not an exit: the first SIGINT/SIGTERM sets [`interrupted`], kills the
//! tracked process groups (so a running cargo or test binary ends as "cancelled"), and tells the
//! subscribers (watch mode's event loop). The code then unwinds normally, every `Drop` runs, and
//! the command exits with [`crate::exit::Exit::Interrupted`]. Only if that has not happened
//! within [`GRACE`] — or at a second signal — does the last-resort path clean up what is
//! tracked here and exit at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use crate::exit::Exit;
use crate::sys;

/// How long a graceful shutdown may take after Ctrl-C before the hard exit.
pub const GRACE: Duration = Duration::from_secs(5);

type Hook = Box<dyn Fn() + Send>;

struct Registry {
    process_groups: Vec<i32>,
    dirs: Vec<PathBuf>,
    /// Extra cleanups for the hard exit, registered once by the layers that need them.
    hooks: Vec<(&'static str, Hook)>,
    /// Told about the first interrupt.
    subscribers: Vec<Hook>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    process_groups: Vec::new(),
    dirs: Vec::new(),
    hooks: Vec::new(),
    subscribers: Vec::new(),
});
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> Option<T> {
    REGISTRY.lock().ok().map(|mut r| f(&mut r))
}

/// A child started in its own process group (cargo, a test binary, a local server). Ctrl-C at
/// the terminal does not reach it, so the interrupt has to.
pub fn track_process_group(pgid: i32) {
    with(|r| r.process_groups.push(pgid));
}

pub fn untrack_process_group(pgid: i32) {
    with(|r| r.process_groups.retain(|p| *p != pgid));
}

pub fn track_dir(dir: PathBuf) {
    with(|r| r.dirs.push(dir));
}

pub fn untrack_dir(dir: &Path) {
    with(|r| r.dirs.retain(|d| d != dir));
}

/// Registers a cleanup for the hard exit (once per `name`).
pub fn register_hook(name: &'static str, hook: impl Fn() + Send + 'static) {
    with(|r| {
        if !r.hooks.iter().any(|(n, _)| *n == name) {
            r.hooks.push((name, Box::new(hook)));
        }
    });
}

/// Calls `notify` (from the signal thread) at the first interrupt.
pub fn subscribe(notify: impl Fn() + Send + 'static) {
    with(|r| r.subscribers.push(Box::new(notify)));
}

/// Whether Ctrl-C (or SIGTERM) has been received.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Installs the SIGINT/SIGTERM handling described in the module docs (once per process).
pub fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // ctrlc runs this on its own thread, not in signal context.
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                hard_exit();
            }
            let groups = with(|r| std::mem::take(&mut r.process_groups)).unwrap_or_default();
            for pgid in groups {
                sys::kill_process_group(pgid);
            }
            with(|r| {
                for notify in &r.subscribers {
                    notify();
                }
            });
            std::thread::spawn(|| {
                std::thread::sleep(GRACE);
                hard_exit();
            });
        });
    });
}

/// The last resort: end what is tracked, run the hooks, exit 130.
fn hard_exit() -> ! {
    let taken = with(|r| {
        (
            std::mem::take(&mut r.process_groups),
            std::mem::take(&mut r.dirs),
            std::mem::take(&mut r.hooks),
        )
    });
    if let Some((groups, dirs, hooks)) = taken {
        for pgid in groups {
            sys::kill_process_group(pgid);
        }
        for (_, hook) in hooks {
            hook();
        }
        for dir in dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    std::process::exit(i32::from(Exit::Interrupted.code()));
}
