//! Control groups for one sandboxed process tree: a memory and a process limit the kernel
//! enforces on everything in the group, whatever its user (root is exempt from RLIMIT_NPROC,
//! not from `pids.max`), and the counters that say which limit was hit.
//!
//! Two layouts exist: cgroup v2 (one tree, `memory.max`, `pids.max`) and v1 (one tree per
//! controller, `memory.limit_in_bytes`, `pids.max`). Groups are made below the cgroup this
//! process is in, so a grader confined by its own limits stays inside them.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Limits;

/// Where new groups go: one folder (v2) or one per controller (v1).
#[derive(Debug, Clone)]
pub enum Layout {
    V2 { parent: PathBuf },
    V1 { memory: PathBuf, pids: PathBuf },
}

impl Layout {
    /// The layout this process can create limited groups in, or why not.
    pub fn find() -> Result<Layout, String> {
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .map_err(|e| format!("cannot read /proc/self/cgroup: {e}"))?;
        let root = Path::new("/sys/fs/cgroup");
        let layout = if root.join("cgroup.controllers").is_file() {
            let path = own
                .lines()
                .find_map(|l| l.strip_prefix("0::"))
                .ok_or("no cgroup v2 entry in /proc/self/cgroup")?;
            let parent = root.join(path.trim_start_matches('/'));
            enable_v2_controllers(&parent)?;
            Layout::V2 { parent }
        } else {
            let of = |controller: &str| -> Result<PathBuf, String> {
                let path = own
                    .lines()
                    .find_map(|l| {
                        let mut parts = l.splitn(3, ':');
                        let (_, names, path) = (parts.next()?, parts.next()?, parts.next()?);
                        names.split(',').any(|n| n == controller).then_some(path)
                    })
                    .ok_or_else(|| format!("no {controller} controller in /proc/self/cgroup"))?;
                Ok(root.join(controller).join(path.trim_start_matches('/')))
            };
            Layout::V1 {
                memory: of("memory")?,
                pids: of("pids")?,
            }
        };
        // Proof by doing: a group that can be made, limited and removed.
        let probe = Group::create(&layout, &Limits::default())?;
        drop(probe);
        Ok(layout)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Layout::V2 { .. } => "cgroup v2",
            Layout::V1 { .. } => "cgroup v1",
        }
    }
}

/// v2 hands a controller to child groups only when the parent lists it in its
/// `cgroup.subtree_control`; a parent with processes of its own cannot (the kernel's "no
/// internal processes" rule), which is what a grader under a systemd user session without
/// delegation sees.
fn enable_v2_controllers(parent: &Path) -> Result<(), String> {
    let control = parent.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&control).unwrap_or_default();
    let missing: Vec<&str> = ["memory", "pids"]
        .into_iter()
        .filter(|c| !enabled.split_whitespace().any(|e| e == *c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let wanted: Vec<String> = missing.iter().map(|c| format!("+{c}")).collect();
    std::fs::write(&control, wanted.join(" ")).map_err(|e| {
        format!(
            "cannot enable the {} controllers in {}: {e}",
            missing.join(" and "),
            control.display()
        )
    })
}

static SERIAL: AtomicU64 = AtomicU64::new(0);

/// One limited group, removed (with whatever still runs in it) on drop.
#[derive(Debug)]
pub struct Group {
    /// The group's folder in each tree (one for v2, memory then pids for v1).
    dirs: Vec<PathBuf>,
    v2: bool,
    limits: Limits,
}

/// Which limit a process tree ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    Memory(u64),
    Processes(u64),
}

impl Group {
    pub fn create(layout: &Layout, limits: &Limits) -> Result<Group, String> {
        let name = format!(
            "backlings-{}-{}",
            std::process::id(),
            SERIAL.fetch_add(1, Ordering::SeqCst)
        );
        let (dirs, v2) = match layout {
            Layout::V2 { parent } => (vec![parent.join(&name)], true),
            Layout::V1 { memory, pids } => (vec![memory.join(&name), pids.join(&name)], false),
        };
        let mut group = Group {
            dirs: Vec::new(),
            v2,
            limits: *limits,
        };
        for dir in &dirs {
            std::fs::create_dir(dir)
                .map_err(|e| format!("cannot create the cgroup {}: {e}", dir.display()))?;
            group.dirs.push(dir.clone());
        }
        let memory = limits.memory_bytes.to_string();
        let pids = limits.processes.to_string();
        let settings: Vec<(&Path, &str, &str, bool)> = if v2 {
            vec![
                (&dirs[0], "memory.max", &memory, true),
                // Swap would let a runaway allocation go on, slowly, past the limit.
                (&dirs[0], "memory.swap.max", "0", false),
                (&dirs[0], "pids.max", &pids, true),
            ]
        } else {
            vec![
                (&dirs[0], "memory.limit_in_bytes", &memory, true),
                (&dirs[0], "memory.memsw.limit_in_bytes", &memory, false),
                (&dirs[1], "pids.max", &pids, true),
            ]
        };
        for (dir, file, value, required) in settings {
            let path = dir.join(file);
            if let Err(e) = std::fs::write(&path, value)
                && required
            {
                return Err(format!("cannot set {}: {e}", path.display()));
            }
        }
        Ok(group)
    }

    /// The `cgroup.procs` files a child writes itself into before it runs anything.
    pub fn procs_files(&self) -> Vec<CString> {
        self.dirs
            .iter()
            .filter_map(|d| CString::new(d.join("cgroup.procs").to_string_lossy().as_bytes()).ok())
            .collect()
    }

    /// The limit the group ran into, if any (the kernel's own counters, read after the fact).
    pub fn breach(&self) -> Option<Breach> {
        let count = |dir: &Path, file: &str, key: &str| -> u64 {
            std::fs::read_to_string(dir.join(file))
                .unwrap_or_default()
                .lines()
                .find_map(|l| l.strip_prefix(key)?.trim().parse().ok())
                .unwrap_or(0)
        };
        let (memory_dir, pids_dir) = match self.dirs.as_slice() {
            [one] => (one, one),
            [memory, pids] => (memory, pids),
            _ => return None,
        };
        let memory_file = if self.v2 {
            "memory.events"
        } else {
            "memory.oom_control"
        };
        if count(memory_dir, memory_file, "oom_kill ") > 0 {
            return Some(Breach::Memory(self.limits.memory_bytes));
        }
        if count(pids_dir, "pids.events", "max ") > 0 {
            return Some(Breach::Processes(self.limits.processes));
        }
        None
    }

    /// Kills everything still in the group (a child that left its process group and session).
    pub fn kill_all(&self) {
        for dir in &self.dirs {
            if self.v2 && std::fs::write(dir.join("cgroup.kill"), "1").is_ok() {
                continue;
            }
            let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
            for pid in procs.lines().filter_map(|l| l.trim().parse().ok()) {
                crate::sys::kill(pid);
            }
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill_all();
        for dir in &self.dirs {
            // A killed process leaves the group a moment after the signal.
            for _ in 0..100 {
                if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}
