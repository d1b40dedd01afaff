//! The synthetic workspace in `exercises/target/verify/ws`: every variant a package of it, so
//! one cargo build compiles them all, kept between runs and rewritten only where content
//! changed, so a second verify rebuilds only what changed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::variants::Variant;
use crate::course::Course;
use crate::fs::{read_tree, sync_dir, write_if_changed};

/// Brings the synthetic workspace in line with the course: files are written only when their
/// content changed (so cargo sees unchanged packages as fresh), stale files and variants removed.
pub fn sync_workspace(
    course: &Course,
    ws: &Path,
    variants: &[(Variant, BTreeMap<PathBuf, Vec<u8>>)],
    // A partial verify leaves the other exercises' variants on disk (out of the members), so
    // the next full run finds them unchanged and does not rebuild them.
    prune: bool,
) -> Result<()> {
    std::fs::create_dir_all(ws)?;
    // Everything of the exercises workspace that is not an exercise (the support crate, say).
    let topic_dirs: Vec<&str> = course
        .manifest
        .topics
        .iter()
        .map(|t| t.dir.as_str())
        .collect();
    let source = course.workspace_dir();
    for entry in std::fs::read_dir(&source)?.flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == "target"
            || topic_dirs.contains(&name_str.as_ref())
            || name_str.starts_with('.')
        {
            continue;
        }
        let dest = ws.join(&name);
        if entry.path().is_dir() {
            sync_dir(&dest, &read_tree(&entry.path())?)?;
        } else if name_str == "Cargo.toml" {
            let members: Vec<toml::Value> = variants
                .iter()
                .map(|(v, _)| toml::Value::String(v.dir.to_string_lossy().into_owned()))
                .chain(other_members(&source, &topic_dirs))
                .collect();
            let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(entry.path())?)?;
            if let Some(w) = table.get_mut("workspace").and_then(|w| w.as_table_mut()) {
                w.insert("members".into(), toml::Value::Array(members));
                w.remove("exclude");
            }
            crate::instructor::one_shot::apply(&mut table);
            write_if_changed(&dest, toml::to_string(&table)?.as_bytes())?;
        } else {
            write_if_changed(&dest, &std::fs::read(entry.path())?)?;
        }
    }
    let listed = ws.join(".variants");
    let previous = std::fs::read_to_string(&listed).unwrap_or_default();
    let mut current: BTreeSet<String> = variants
        .iter()
        .map(|(v, _)| v.dir.to_string_lossy().into_owned())
        .collect();
    for old in previous
        .lines()
        .filter(|l| !l.is_empty() && !current.contains(*l))
    {
        if prune {
            let _ = std::fs::remove_dir_all(ws.join(old));
        }
    }
    if !prune {
        current.extend(previous.lines().filter(|l| !l.is_empty()).map(String::from));
    }
    for (v, files) in variants {
        sync_dir(&ws.join(&v.dir), files)?;
    }
    write_if_changed(
        &listed,
        current
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )?;
    Ok(())
}

/// Workspace members outside the topic folders (the support crate), as written in the course.
fn other_members(source: &Path, topic_dirs: &[&str]) -> Vec<toml::Value> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(source) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().join("Cargo.toml").is_file() && !topic_dirs.contains(&name.as_str()) {
                out.push(toml::Value::String(name));
            }
        }
    }
    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    out
}
