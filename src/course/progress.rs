//! The learner's progress: the current exercise and the set of exercises done. Stored as JSON in
//! `.backlings/state.json`, written atomically (temp file in the same folder, then rename) so that
//! a crash or a kill mid-write leaves either the old or the new state, never a torn file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest::Manifest;
use crate::fs::write_atomically;

const STATE_FILE: &str = "state.json";
const FORMAT: u32 = 1;
const TOOL: &str = "backlings";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(
        "{path} is unreadable as backlings progress ({reason})\n\
         Your exercise files are not affected. To start the progress record over, move it away:\n  \
         mv {path} {path}.bak"
    )]
    Corrupt { path: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    tool: String,
    format: u32,
    current: Option<String>,
    done: BTreeSet<String>,
}

/// The learner's progress. Fields are private: the learner's session changes them through
/// methods, each of which says whether anything changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    path: PathBuf,
    /// Index into the manifest's exercises.
    current: usize,
    done: BTreeSet<String>,
    /// True when no state file existed: this is the learner's first run.
    fresh: bool,
}

impl Progress {
    /// Loads the state of a course. Names that the manifest no longer has (a renamed exercise)
    /// are dropped rather than failing, so a course update never locks a learner out.
    pub fn load(state_dir: &Path, manifest: &Manifest) -> Result<Progress, StateError> {
        let path = state_dir.join(STATE_FILE);
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                return Err(StateError::Corrupt {
                    path: shown,
                    reason: "not UTF-8".into(),
                });
            }
            Err(source) => {
                return Err(StateError::Read {
                    path: shown,
                    source,
                });
            }
        };
        let Some(text) = text else {
            return Ok(Progress {
                path,
                current: 0,
                done: BTreeSet::new(),
                fresh: true,
            });
        };
        let file: StateFile = serde_json::from_str(&text).map_err(|e| StateError::Corrupt {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        if file.tool != TOOL || file.format != FORMAT {
            return Err(StateError::Corrupt {
                path: shown,
                reason: format!(
                    "written by `{}` format {}, expected `{TOOL}` format {FORMAT}",
                    file.tool, file.format
                ),
            });
        }
        let done: BTreeSet<String> = file
            .done
            .into_iter()
            .filter(|n| manifest.exercise(n).is_some())
            .collect();
        let current = file
            .current
            .and_then(|n| manifest.index_of(&n))
            .or_else(|| {
                manifest
                    .exercises
                    .iter()
                    .position(|e| !done.contains(&e.name))
            })
            .unwrap_or(0);
        Ok(Progress {
            path,
            current,
            done,
            fresh: false,
        })
    }

    pub fn save(&mut self, manifest: &Manifest) -> Result<(), StateError> {
        let file = StateFile {
            tool: TOOL.into(),
            format: FORMAT,
            current: manifest.exercises.get(self.current).map(|e| e.name.clone()),
            done: self.done.clone(),
        };
        let mut json = serde_json::to_string_pretty(&file).map_err(|e| StateError::Write {
            path: self.path.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        json.push('\n');
        write_atomically(&self.path, json.as_bytes()).map_err(|source| StateError::Write {
            path: self.path.display().to_string(),
            source,
        })?;
        self.fresh = false;
        Ok(())
    }

    pub fn is_done(&self, name: &str) -> bool {
        self.done.contains(name)
    }

    pub fn current(&self) -> usize {
        self.current
    }

    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    pub fn done_count(&self) -> usize {
        self.done.len()
    }

    /// Makes exercise `index` the current one; returns whether it changed.
    pub fn set_current(&mut self, index: usize) -> bool {
        std::mem::replace(&mut self.current, index) != index
    }

    /// Marks `name` done or pending; returns whether the done set changed.
    pub fn mark(&mut self, name: &str, done: bool) -> bool {
        if done {
            self.done.insert(name.to_owned())
        } else {
            self.done.remove(name)
        }
    }

    /// The first exercise after `from` (wrapping around) that is not done.
    pub fn next_pending(&self, manifest: &Manifest, from: usize) -> Option<usize> {
        let n = manifest.exercises.len();
        (1..=n)
            .map(|k| (from + k) % n)
            .find(|&i| !self.done.contains(&manifest.exercises[i].name))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"format_version = 1
welcome_message = "w"
final_message = "f"
[[topics]]
name = "t"
title = "T"
dir = "t"
[[exercises]]
name = "a"
topic = "t"
dir = "t/a"
hint = "h"
[[exercises]]
name = "b"
topic = "t"
dir = "t/b"
hint = "h"
"#,
            "info.toml",
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_unknown_names_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        let mut s = Progress::load(dir.path(), &m).unwrap();
        assert!(s.fresh);
        s.current = 1;
        s.done.insert("a".into());
        s.save(&m).unwrap();
        let again = Progress::load(dir.path(), &m).unwrap();
        assert_eq!(
            (again.current, again.done.clone(), again.fresh),
            (1, s.done.clone(), false)
        );

        std::fs::write(
            dir.path().join(STATE_FILE),
            r#"{"tool":"backlings","format":1,"current":"gone","done":["gone","b"]}"#,
        )
        .unwrap();
        let s = Progress::load(dir.path(), &m).unwrap();
        assert_eq!(s.done.iter().collect::<Vec<_>>(), ["b"]);
        assert_eq!(s.current, 0, "falls back to the first pending exercise");
    }

    #[test]
    fn corrupt_and_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        for text in [
            "{not json",
            r#"{"tool":"rustlings","format":1,"current":null,"done":[]}"#,
        ] {
            std::fs::write(dir.path().join(STATE_FILE), text).unwrap();
            let err = Progress::load(dir.path(), &m).unwrap_err().to_string();
            assert!(err.contains("unreadable as backlings progress"), "{err}");
            assert!(err.contains("mv "), "offers a way out: {err}");
        }
    }

    #[test]
    fn next_pending_wraps() {
        let m = manifest();
        let dir = tempfile::tempdir().unwrap();
        let mut s = Progress::load(dir.path(), &m).unwrap();
        assert_eq!(s.next_pending(&m, 0), Some(1));
        s.mark("b", true);
        assert_eq!(s.next_pending(&m, 0), Some(0));
        s.mark("a", true);
        assert_eq!(s.next_pending(&m, 0), None);
    }
}
