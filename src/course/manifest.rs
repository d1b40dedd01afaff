//! `info.toml`: the course manifest, the single source of truth for what the course contains and in
//! which order. Parsing is strict (unknown keys are errors) so that a typo in a key never silently
//! changes how an exercise is run.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub const MANIFEST_FILE: &str = "info.toml";
pub const SUPPORTED_FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Postgres,
    Redis,
    Nats,
}

impl Service {
    /// Every service, in the order messages list them.
    pub const ALL: [Service; 3] = [Service::Postgres, Service::Redis, Service::Nats];

    pub fn as_str(self) -> &'static str {
        match self {
            Service::Postgres => "postgres",
            Service::Redis => "redis",
            Service::Nats => "nats",
        }
    }

    /// The environment variable through which an exercise receives this service.
    pub fn env_var(self) -> &'static str {
        match self {
            Service::Postgres => "DATABASE_URL",
            Service::Redis => "REDIS_URL",
            Service::Nats => "NATS_URL",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format_version: u32,
    pub welcome_message: String,
    pub final_message: String,
    #[serde(default)]
    pub topics: Vec<Topic>,
    #[serde(default)]
    pub exercises: Vec<ExerciseInfo>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Identifier used by exercises (`topic = "..."`).
    pub name: String,
    /// Human title shown in the progress line and the list.
    pub title: String,
    /// Folder under `exercises/` (and `solutions/`).
    pub dir: String,
}

/// What the learner writes in an exercise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExerciseKind {
    /// The learner finishes the code (`src/`, `migrations/`); the course's tests judge it.
    #[default]
    Code,
    /// The implementation is given and correct; the learner writes the tests (`tests/`), which
    /// must pass on it and fail on each of the exercise's known bugs.
    Tests,
}

impl ExerciseKind {
    /// The folders of an exercise that belong to the learner: `grade` takes these from the
    /// learner's tree and everything else from the course.
    pub fn learner_dirs(self) -> &'static [&'static str] {
        match self {
            ExerciseKind::Code => &["src", "migrations"],
            ExerciseKind::Tests => &["tests"],
        }
    }
}

fn default_timeout() -> u64 {
    60
}
fn default_points() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseInfo {
    /// Unique, `[a-z0-9_]`; also the Cargo package name.
    pub name: String,
    pub topic: String,
    /// Path relative to `exercises/` (and `solutions/`).
    pub dir: String,
    pub hint: String,
    #[serde(default)]
    pub kind: ExerciseKind,
    #[serde(default)]
    pub services: Vec<Service>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    #[serde(default = "default_points")]
    pub points: u32,
    /// For exercises whose shipped code legitimately passes (e.g. a reading exercise).
    #[serde(default)]
    pub skip_check_unsolved: bool,
    /// Files outside the kind's folders that the learner writes too (a `Containerfile`),
    /// relative to the exercise: `grade` takes them from the learner's tree.
    #[serde(default)]
    pub learner_files: Vec<String>,
}

impl ExerciseInfo {
    /// Everything of the exercise the learner owns: the kind's folders and `learner_files`.
    pub fn learner_paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.kind.learner_dirs().to_vec();
        paths.extend(self.learner_files.iter().map(String::as_str));
        paths
    }
}

impl Manifest {
    /// Parses and validates a manifest. `path` is only used in messages.
    pub fn parse(text: &str, path: &str) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ManifestError::Parse {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    pub fn load(course_root: &Path) -> Result<Manifest, ManifestError> {
        let path = course_root.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Manifest::parse(&text, &path.display().to_string())
    }

    fn validate(&self, path: &str) -> Result<(), ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        };
        if self.format_version != SUPPORTED_FORMAT_VERSION {
            return Err(invalid(format!(
                "format_version {} is not supported by this `exercise` (it reads version {SUPPORTED_FORMAT_VERSION}); update the binary",
                self.format_version
            )));
        }
        let mut topics = HashSet::new();
        for topic in &self.topics {
            if !is_valid_name(&topic.name) {
                return Err(invalid(format!(
                    "topic name `{}` must be non-empty and use only a-z, 0-9 and _",
                    topic.name
                )));
            }
            if !topics.insert(topic.name.as_str()) {
                return Err(invalid(format!("topic `{}` is listed twice", topic.name)));
            }
            check_relative(&topic.dir)
                .map_err(|m| invalid(format!("topic `{}`: dir {m}", topic.name)))?;
        }
        let mut names = HashSet::new();
        let mut dirs = HashSet::new();
        for ex in &self.exercises {
            if !is_valid_name(&ex.name) {
                return Err(invalid(format!(
                    "exercise name `{}` must be non-empty and use only a-z, 0-9 and _",
                    ex.name
                )));
            }
            if !names.insert(ex.name.as_str()) {
                return Err(invalid(format!("exercise `{}` is listed twice", ex.name)));
            }
            if !topics.contains(ex.topic.as_str()) {
                return Err(invalid(format!(
                    "exercise `{}` names topic `{}`, which is not in [[topics]]",
                    ex.name, ex.topic
                )));
            }
            check_relative(&ex.dir)
                .map_err(|m| invalid(format!("exercise `{}`: dir {m}", ex.name)))?;
            if !dirs.insert(ex.dir.as_str()) {
                return Err(invalid(format!(
                    "exercise `{}`: dir `{}` is used twice",
                    ex.name, ex.dir
                )));
            }
            for file in &ex.learner_files {
                check_relative(file).map_err(|m| {
                    invalid(format!("exercise `{}`: learner_files entry {m}", ex.name))
                })?;
            }
            if ex.timeout_secs == 0 {
                return Err(invalid(format!(
                    "exercise `{}`: timeout_secs must be at least 1",
                    ex.name
                )));
            }
        }
        Ok(())
    }

    pub fn exercise(&self, name: &str) -> Option<&ExerciseInfo> {
        self.exercises.iter().find(|e| e.name == name)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.exercises.iter().position(|e| e.name == name)
    }

    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.name == name)
    }

    /// Every topic with its number (from 1) and its exercises, starting at `from`'s topic and
    /// going on through the later ones before wrapping to the earlier ones: the order in which a
    /// learner at `from` will need them built.
    pub fn topics_from(&self, from: &str) -> Vec<(usize, &Topic, Vec<&ExerciseInfo>)> {
        let start = self
            .exercise(from)
            .and_then(|e| self.topics.iter().position(|t| t.name == e.topic))
            .unwrap_or(0);
        let n = self.topics.len();
        (0..n)
            .map(|k| (start + k) % n)
            .map(|i| {
                let topic = &self.topics[i];
                let exercises = self
                    .exercises
                    .iter()
                    .filter(|e| e.topic == topic.name)
                    .collect();
                (i + 1, topic, exercises)
            })
            .collect()
    }
}

pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Course paths must stay inside the course: no absolute paths, no `..`.
fn check_relative(dir: &str) -> Result<(), String> {
    let p = Path::new(dir);
    if dir.is_empty() {
        return Err("must not be empty".into());
    }
    if p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!("`{dir}` must be a relative path without `..`"));
    }
    Ok(())
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
format_version = 1
welcome_message = "hi"
final_message = "bye"
[[topics]]
name = "t"
title = "T"
dir = "01_t"
[[exercises]]
name = "a1"
topic = "t"
dir = "01_t/01_a1"
hint = "h"
"#;

    #[test]
    fn defaults_apply() {
        let m = Manifest::parse(OK, "info.toml").unwrap();
        let e = &m.exercises[0];
        assert_eq!(e.timeout_secs, 60);
        assert_eq!(e.points, 1);
        assert!(!e.skip_check_unsolved);
        assert!(e.services.is_empty());
    }

    #[test]
    fn unknown_key_reports_line_and_column() {
        let text = OK.replace("hint = \"h\"", "hint = \"h\"\nhitn = 3");
        let err = Manifest::parse(&text, "info.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("info.toml:14:1: unknown field `hitn`"),
            "{err}"
        );
    }

    #[test]
    fn topics_from_starts_at_the_exercise_topic_and_wraps() {
        let m = Manifest::parse(
            r#"
format_version = 1
welcome_message = "hi"
final_message = "bye"
[[topics]]
name = "a"
title = "A"
dir = "a"
[[topics]]
name = "b"
title = "B"
dir = "b"
[[topics]]
name = "c"
title = "C"
dir = "c"
[[exercises]]
name = "a1"
topic = "a"
dir = "a/a1"
hint = "h"
[[exercises]]
name = "b1"
topic = "b"
dir = "b/b1"
hint = "h"
[[exercises]]
name = "b2"
topic = "b"
dir = "b/b2"
hint = "h"
"#,
            "t",
        )
        .unwrap();
        let order: Vec<(usize, &str, Vec<&str>)> = m
            .topics_from("b2")
            .into_iter()
            .map(|(n, t, ex)| {
                (
                    n,
                    t.name.as_str(),
                    ex.iter().map(|e| e.name.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            order,
            vec![
                (2, "b", vec!["b1", "b2"]),
                (3, "c", vec![]),
                (1, "a", vec!["a1"])
            ]
        );
    }

    #[test]
    fn rejects_dotdot_and_bad_names_and_unknown_topics() {
        for (from, to) in [
            ("dir = \"01_t/01_a1\"", "dir = \"../x\""),
            ("name = \"a1\"", "name = \"A-1\""),
            ("topic = \"t\"", "topic = \"nope\""),
            ("format_version = 1", "format_version = 2"),
        ] {
            let text = OK.replace(from, to);
            assert!(
                Manifest::parse(&text, "info.toml").is_err(),
                "{to} accepted"
            );
        }
    }

    #[test]
    fn unknown_service_is_an_error() {
        let text = OK.replace("hint = \"h\"", "hint = \"h\"\nservices = [\"mysql\"]");
        let err = Manifest::parse(&text, "info.toml").unwrap_err().to_string();
        assert!(err.contains("mysql"), "{err}");
    }
}
