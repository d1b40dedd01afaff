//! What must not outlive the CLI: containers it started, server and test processes, scratch
//! folders. Normal exits clean up through `Drop`; this registry covers Ctrl-C and SIGTERM, which
//! end the process without running destructors.

use std::path::PathBuf;
use std::sync::{Mutex, Once};

#[derive(Default)]
struct Registry {
    containers: Vec<String>,
    process_groups: Vec<i32>,
    dirs: Vec<PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    containers: Vec::new(),
    process_groups: Vec::new(),
    dirs: Vec::new(),
});

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> Option<T> {
    REGISTRY.lock().ok().map(|mut r| f(&mut r))
}

pub fn track_container(id: &str) {
    with(|r| r.containers.push(id.to_owned()));
}

pub fn untrack_container(id: &str) {
    with(|r| r.containers.retain(|c| c != id));
}

/// A child started in its own process group (cargo, a test binary, a local server). Ctrl-C at
/// the terminal does not reach it, so the handler has to.
pub fn track_process_group(pgid: i32) {
    with(|r| r.process_groups.push(pgid));
}

pub fn untrack_process_group(pgid: i32) {
    with(|r| r.process_groups.retain(|p| *p != pgid));
}

pub fn track_dir(dir: PathBuf) {
    with(|r| r.dirs.push(dir));
}

pub fn untrack_dir(dir: &std::path::Path) {
    with(|r| r.dirs.retain(|d| d != dir));
}

/// On SIGINT/SIGTERM: end tracked process groups, remove tracked containers and folders, exit 130.
pub fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            run_all();
            let _ = crossterm::terminal::disable_raw_mode();
            std::process::exit(130);
        });
    });
}

fn run_all() {
    let Some((containers, groups, dirs)) = with(|r| {
        (
            std::mem::take(&mut r.containers),
            std::mem::take(&mut r.process_groups),
            std::mem::take(&mut r.dirs),
        )
    }) else {
        return;
    };
    for pgid in groups {
        // SAFETY: signals only; a stale group id yields ESRCH.
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
    }
    if !containers.is_empty() || super::container::engine_was_used() {
        // Also those still being created when the signal came (not tracked yet): they carry our
        // pid label.
        let pid = std::process::id().to_string();
        let mut ids = containers;
        ids.extend(
            super::container::list_labelled(&[
                (super::container::LABEL_PID, &pid),
                (super::container::LABEL_KEEP, "false"),
            ])
            .into_iter()
            .map(|(id, _)| id),
        );
        super::container::remove_containers(&ids);
    }
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}
