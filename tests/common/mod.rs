//! Shared helpers for the CLI tests: a throwaway copy of a fixture course, and `exercise`
//! commands pointed at it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub struct Course {
    pub dir: tempfile::TempDir,
}

impl Course {
    /// A fresh copy of `tests/fixtures/<name>`.
    pub fn fixture(name: &str) -> Course {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_tree(&src, dir.path());
        Course { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Copies the solution of `dir` (relative to exercises/) over the exercise.
    pub fn solve(&self, dir: &str) {
        let text = self.read(&format!("solutions/{dir}/src/lib.rs"));
        self.write(&format!("exercises/{dir}/src/lib.rs"), &text);
    }

    /// `exercise --course <dir> --color never …`, with a clean environment for cargo.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("exercise").expect("binary built");
        cmd.arg("--course")
            .arg(self.path())
            .arg("--color")
            .arg("never")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env("NO_COLOR", "1");
        cmd
    }

    pub fn state(&self) -> serde_json::Value {
        serde_json::from_str(&self.read(".backlings/state.json")).expect("state.json is valid JSON")
    }

    pub fn list_json(&self) -> serde_json::Value {
        let out = self.cmd().args(["list", "--json"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("list --json prints JSON")
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `exercise --course <dir> [extra…] watch --events`, with stdin piped (keys) and stderr dropped.
pub fn spawn_watch(
    course: &Course,
    extra: &[&str],
    stdout: std::process::Stdio,
) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("exercise"))
        .arg("--course")
        .arg(course.path())
        .args(extra)
        .args(["watch", "--events"])
        .env_remove("CARGO_TARGET_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(stdout)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start exercise watch")
}

/// The check (or graded exercise) called `name` in a JSON report of verify or grade.
pub fn case<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["tests"]
        .as_array()
        .expect("a report has tests")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no check named {name:?} in {report:#}"))
}

/// Whether bubblewrap (the sandbox's tool) is installed here.
pub fn bwrap_installed() -> bool {
    std::process::Command::new("bwrap")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}
