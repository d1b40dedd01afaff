//! The learner's progress: the current exercise and the set of exercises done. Stored as JSON in
//! `.backlings/state.json`, written atomically (temp file in the same folder, then rename) so that
//! a crash or a kill mid-write leaves either the old or the new state, never a torn file.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::Manifest;

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    path: PathBuf,
    /// Index into the manifest's exercises.
    pub current: usize,
    pub done: BTreeSet<String>,
    /// True when no state file existed: this is the learner's first run.
    pub fresh: bool,
}

impl State {
    /// Loads the state of a course. Names that the manifest no longer has (a renamed exercise)
    /// are dropped rather than failing, so a course update never locks a learner out.
    pub fn load(state_dir: &Path, manifest: &Manifest) -> Result<State, StateError> {
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
            return Ok(State {
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
        Ok(State {
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
        let mut json = serde_json::to_string_pretty(&file).expect("state serializes");
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

    /// The first exercise after `from` (wrapping around) that is not done.
    pub fn next_pending(&self, manifest: &Manifest, from: usize) -> Option<usize> {
        let n = manifest.exercises.len();
        (1..=n)
            .map(|k| (from + k) % n)
            .find(|&i| !self.done.contains(&manifest.exercises[i].name))
    }
}

/// Writes through a temp file in the same directory and renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // Fault injection for the CLI's tests: lets a test kill the process between writing the temp
    // file and renaming it, which is exactly the window atomicity has to cover.
    if let Some(ms) = std::env::var_os("BACKLINGS_TEST_PAUSE_BEFORE_RENAME_MS") {
        let ms = ms.to_string_lossy().parse().unwrap_or(0);
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
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
        let mut s = State::load(dir.path(), &m).unwrap();
        assert!(s.fresh);
        s.current = 1;
        s.done.insert("a".into());
        s.save(&m).unwrap();
        let again = State::load(dir.path(), &m).unwrap();
        assert_eq!(
            (again.current, again.done.clone(), again.fresh),
            (1, s.done.clone(), false)
        );

        std::fs::write(
            dir.path().join(STATE_FILE),
            r#"{"tool":"backlings","format":1,"current":"gone","done":["gone","b"]}"#,
        )
        .unwrap();
        let s = State::load(dir.path(), &m).unwrap();
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
            let err = State::load(dir.path(), &m).unwrap_err().to_string();
            assert!(err.contains("unreadable as backlings progress"), "{err}");
            assert!(err.contains("mv "), "offers a way out: {err}");
        }
    }

    #[test]
    fn next_pending_wraps() {
        let m = manifest();
        let dir = tempfile::tempdir().unwrap();
        let mut s = State::load(dir.path(), &m).unwrap();
        assert_eq!(s.next_pending(&m, 0), Some(1));
        s.done.insert("b".into());
        assert_eq!(s.next_pending(&m, 0), Some(0));
        s.done.insert("a".into());
        assert_eq!(s.next_pending(&m, 0), None);
    }
}
