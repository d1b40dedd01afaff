//! Platform code: the one module that calls libc (`unsafe_code` is denied everywhere else).
//! Everything here is Unix; what needs Linux (`/proc`) says so and degrades elsewhere.
#![allow(unsafe_code)]

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Sends SIGKILL to a whole process group. A stale group id is ESRCH and ignored.
pub fn kill_process_group(pgid: i32) {
    // SAFETY: killpg only sends a signal.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Asks a process to stop (SIGINT: Postgres' fast shutdown; redis-server exits on it too).
pub fn interrupt(pid: i32) {
    // SAFETY: kill only sends a signal.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
}

pub fn kill(pid: i32) {
    // SAFETY: kill only sends a signal.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

/// Whether a process exists (signal 0: nothing is sent).
pub fn process_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe {
        libc::kill(pid, 0) == 0
            || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
}

/// The command line of a process (Linux `/proc`; empty elsewhere or when it is gone).
pub fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// uid and gid of a user, e.g. `postgres` (which Postgres runs as when we are root).
pub fn user_ids(name: &str) -> Option<(u32, u32)> {
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: getpwnam returns a pointer to static storage or null; the ids are copied out at
    // once, before any other call could overwrite it.
    unsafe {
        let pw = libc::getpwnam(name.as_ptr());
        if pw.is_null() {
            None
        } else {
            Some(((*pw).pw_uid, (*pw).pw_gid))
        }
    }
}

/// Processes the child's user may have (a fork storm hits this instead of the machine). Root is
/// exempt from RLIMIT_NPROC; there the process-group kill at the deadline is the backstop.
const MAX_PROCESSES: libc::rlim_t = 4096;
/// Largest file a test may write.
const MAX_FILE_BYTES: libc::rlim_t = 1 << 30;

/// Resource limits for untrusted code (test binaries): processes, file size, no core dumps.
/// Limits are only ever lowered, never raised.
pub fn limit_resources(cmd: &mut Command) {
    // SAFETY: pre_exec runs in the forked child before exec; getrlimit/setrlimit are
    // async-signal-safe and touch no memory shared with the parent.
    unsafe {
        cmd.pre_exec(|| {
            for (resource, limit) in [
                (libc::RLIMIT_NPROC, MAX_PROCESSES),
                (libc::RLIMIT_FSIZE, MAX_FILE_BYTES),
                (libc::RLIMIT_CORE, 0),
            ] {
                let mut current = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(resource, &mut current) != 0 {
                    continue;
                }
                let cap = limit.min(current.rlim_max);
                let wanted = libc::rlimit {
                    rlim_cur: cap.min(current.rlim_cur),
                    rlim_max: cap,
                };
                libc::setrlimit(resource, &wanted);
            }
            Ok(())
        });
    }
}

/// Moves the child into the cgroups whose `cgroup.procs` files are given, before it runs
/// anything: whatever it starts is born inside the limits ("0" names the writing process).
pub fn join_cgroups(cmd: &mut Command, procs_files: Vec<std::ffi::CString>) {
    // SAFETY: pre_exec runs in the forked child before exec; open, write and close are
    // async-signal-safe, and the paths were allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            for file in &procs_files {
                let fd = libc::open(file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let written = libc::write(fd, b"0".as_ptr().cast(), 1);
                libc::close(fd);
                if written != 1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Runs the child at the lowest CPU priority (nice 19): background work that must never slow
/// what the learner is waiting for.
pub fn lowest_priority(cmd: &mut Command) {
    // SAFETY: pre_exec runs in the forked child before exec; setpriority is async-signal-safe
    // and touches no memory shared with the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::setpriority(libc::PRIO_PROCESS, 0, 19);
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_process_is_alive_and_a_reaped_child_is_not() {
        assert!(super::process_alive(std::process::id() as i32));
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id() as i32;
        child.wait().expect("wait");
        assert!(!super::process_alive(pid));
    }

    #[test]
    fn unknown_users_have_no_ids() {
        assert_eq!(super::user_ids("no-such-user-backlings"), None);
        assert_eq!(super::user_ids("root"), Some((0, 0)));
    }
}
