//! Spawning a child in its own process group with a deadline, a cancel flag and capped output.
//!
//! Learner code is untrusted in the mild sense: it may loop forever, deadlock, spawn children or
//! print without end. Killing the whole group covers the children; capping covers the printing.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::{cleanup, sys};

/// Aborts a running child: watch mode cancels a run when the file changes again, and a
/// background preparation when the learner saves. `cancel()` kills the children's process
/// groups at once (no waiting for the next poll: a preempted build must free the cores now).
#[derive(Clone, Default, Debug)]
pub struct Cancel(Arc<CancelState>);

#[derive(Default, Debug)]
struct CancelState {
    cancelled: AtomicBool,
    /// Process groups of the children running under this cancel.
    groups: std::sync::Mutex<Vec<i32>>,
}

impl Cancel {
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        if let Ok(groups) = self.0.groups.lock() {
            for &pgid in groups.iter() {
                sys::kill_process_group(pgid);
            }
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Registers a child's group; a cancel that came first kills it at once.
    fn watch(&self, pgid: i32) {
        if let Ok(mut groups) = self.0.groups.lock() {
            groups.push(pgid);
        }
        if self.is_cancelled() {
            sys::kill_process_group(pgid);
        }
    }

    fn forget(&self, pgid: i32) {
        if let Ok(mut groups) = self.0.groups.lock() {
            groups.retain(|g| *g != pgid);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Status(ExitStatus),
    TimedOut,
    Cancelled,
    /// The sandbox's cgroup ran into its process limit (a fork bomb): the group was killed at
    /// once instead of at the deadline.
    LimitHit,
}

#[derive(Debug)]
pub struct Captured {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
    /// Some output was dropped because it exceeded the cap.
    pub truncated: bool,
}

pub struct Limits<'a> {
    pub deadline: Option<Instant>,
    /// Bytes kept per stream; the rest is read and discarded so the child never blocks.
    pub output_cap: usize,
    /// Untrusted code (test binaries) runs with resource limits: processes, file size, no cores.
    pub untrusted: bool,
    /// The sandbox's cgroup the child runs in: watched for a breached process limit.
    pub group: Option<&'a crate::sandbox::cgroup::Group>,
}

/// Called with each line the child writes to stderr, as it comes (cargo's "Compiling …" lines).
pub type LineSink<'a> = &'a (dyn Fn(&str) + Sync);

/// Runs `cmd` to completion (or deadline, or cancellation, or Ctrl-C) and returns what it
/// printed.
pub fn run(
    mut cmd: Command,
    limits: &Limits,
    cancel: Option<&Cancel>,
    on_stderr_line: Option<LineSink<'_>>,
    on_stdout_line: Option<LineSink<'_>>,
) -> std::io::Result<Captured> {
    if limits.untrusted {
        sys::limit_resources(&mut cmd);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id() as i32;
    // Its own process group, so Ctrl-C at the terminal reaches only us: the interrupt ends it
    // (see crate::cleanup).
    cleanup::track_process_group(pid);
    if let Some(c) = cancel {
        c.watch(pid);
    }
    let cap = limits.output_cap;
    let stdout_pipe = child.stdout.take();
    let stderr_pipe = child.stderr.take();
    thread::scope(|scope| {
        let stdout = stdout_pipe.map(|s| scope.spawn(move || read_capped(s, cap, on_stdout_line)));
        let stderr = stderr_pipe.map(|s| scope.spawn(move || read_capped(s, cap, on_stderr_line)));
        let exit = wait(child, pid, limits, cancel)?;
        let (out, out_trunc) = stdout.map_or((Vec::new(), false), |h| h.join().unwrap_or_default());
        let (err, err_trunc) = stderr.map_or((Vec::new(), false), |h| h.join().unwrap_or_default());
        Ok(Captured {
            exit,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
            truncated: out_trunc || err_trunc,
        })
    })
}

fn wait(
    mut child: std::process::Child,
    pid: i32,
    limits: &Limits,
    cancel: Option<&Cancel>,
) -> std::io::Result<Exit> {
    // wait() blocks, so it runs on its own thread; this thread watches the clock and the flag.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let exit = loop {
        let tick = Duration::from_millis(20);
        let wait = match limits.deadline {
            Some(d) => d.saturating_duration_since(Instant::now()).min(tick),
            None => tick,
        };
        match rx.recv_timeout(wait) {
            // Killed by an interrupt (which ends every tracked group) or a cancel: not a verdict.
            Ok(_) if cancel.is_some_and(Cancel::is_cancelled) || cleanup::interrupted() => {
                break Exit::Cancelled;
            }
            Ok(status) => break Exit::Status(status?),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(std::io::Error::other("lost the child process"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if cancel.is_some_and(Cancel::is_cancelled) || cleanup::interrupted() {
            kill_group(pid);
            let _ = rx.recv();
            break Exit::Cancelled;
        }
        if limits.deadline.is_some_and(|d| Instant::now() >= d) {
            kill_group(pid);
            let _ = rx.recv();
            break Exit::TimedOut;
        }
        if let Some(group) = limits.group
            && group.breach().is_some()
        {
            group.kill_all();
            kill_group(pid);
            let _ = rx.recv();
            break Exit::LimitHit;
        }
    };
    // Children the child left behind (a test that spawned a server, say) would keep the pipes
    // open and the readers blocked; the group is ours, so end it.
    kill_group(pid);
    cleanup::untrack_process_group(pid);
    if let Some(c) = cancel {
        c.forget(pid);
    }
    Ok(exit)
}

fn kill_group(pgid: i32) {
    sys::kill_process_group(pgid);
}

/// Reads everything, keeping the first and the last `cap / 2` bytes: the head shows how a flood
/// started, the tail keeps libtest's failure messages and closing summary.
fn read_capped(mut r: impl Read, cap: usize, on_line: Option<LineSink<'_>>) -> (Vec<u8>, bool) {
    let half = cap / 2;
    let mut head = Vec::new();
    let mut tail: std::collections::VecDeque<u8> = std::collections::VecDeque::new();
    let mut dropped = 0usize;
    let mut buf = [0u8; 8192];
    let mut line = Vec::new();
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(sink) = on_line {
                    for &b in &buf[..n] {
                        if b == b'\n' || b == b'\r' {
                            if !line.is_empty() {
                                sink(&String::from_utf8_lossy(&line));
                                line.clear();
                            }
                        } else if line.len() < 4096 {
                            line.push(b);
                        }
                    }
                }
                let mut chunk = &buf[..n];
                let room = half.saturating_sub(head.len());
                if room > 0 {
                    let take = room.min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                }
                tail.extend(chunk);
                if tail.len() > cap - half {
                    let excess = tail.len() - (cap - half);
                    tail.drain(..excess);
                    dropped += excess;
                }
            }
        }
    }
    if dropped > 0 {
        head.extend_from_slice(format!("\n… [{dropped} bytes of output cut] …\n").as_bytes());
    }
    head.extend(tail);
    (head, dropped > 0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let started = Instant::now();
        let limits = Limits {
            deadline: Some(Instant::now() + Duration::from_millis(300)),
            output_cap: 1024,
            untrusted: true,
            group: None,
        };
        // The grandchild holds stdout open; without the group kill this would hang.
        let out = run(sh("sleep 30 & sleep 30"), &limits, None, None, None).unwrap();
        assert_eq!(out.exit, Exit::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn output_is_capped() {
        let limits = Limits {
            deadline: None,
            output_cap: 1000,
            untrusted: false,
            group: None,
        };
        let out = run(
            sh("yes | head -c 100000; echo; echo the end"),
            &limits,
            None,
            None,
            None,
        )
        .unwrap();
        assert!(out.truncated);
        assert!(out.stdout.len() < 1100, "{}", out.stdout.len());
        assert!(out.stdout.starts_with("y\ny\n"));
        assert!(out.stdout.ends_with("the end\n"), "the tail is kept");
        assert!(out.stdout.contains("bytes of output cut"));
        assert!(matches!(out.exit, Exit::Status(s) if s.success()));
    }

    #[test]
    fn cancel_stops_the_child() {
        let cancel = Cancel::default();
        let c2 = cancel.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            c2.cancel();
        });
        let limits = Limits {
            deadline: None,
            output_cap: 10,
            untrusted: false,
            group: None,
        };
        let out = run(sh("sleep 30"), &limits, Some(&cancel), None, None).unwrap();
        assert_eq!(out.exit, Exit::Cancelled);
    }
}
