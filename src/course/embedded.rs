//! The course compiled into the binary (see build.rs): the source of pristine files for
//! `exercise reset` and of the course that `exercise init` writes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use include_dir::{Dir, DirEntry, include_dir};

static COURSE: Dir<'static> = include_dir!("$OUT_DIR/course");

pub fn manifest_bytes() -> &'static [u8] {
    COURSE
        .get_file("info.toml")
        .map_or(&[][..], |f| f.contents())
}

/// Every embedded file below `rel_dir` (relative to the course root), with its path relative to
/// `rel_dir`.
pub fn files_under(rel_dir: &Path) -> Vec<(PathBuf, &'static [u8])> {
    let mut out = Vec::new();
    if let Some(dir) = COURSE.get_dir(rel_dir) {
        collect(dir, &mut out);
    }
    out.into_iter()
        .filter_map(|(p, c)| p.strip_prefix(rel_dir).ok().map(|r| (r.to_path_buf(), c)))
        .collect()
}

/// Every embedded file, relative to the course root.
pub fn all_files() -> Vec<(PathBuf, &'static [u8])> {
    let mut out = Vec::new();
    collect(&COURSE, &mut out);
    out
}

fn collect(dir: &Dir<'static>, out: &mut Vec<(PathBuf, &'static [u8])>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(d) => collect(d, out),
            DirEntry::File(f) => out.push((f.path().to_path_buf(), f.contents())),
        }
    }
}

/// Writes the whole embedded course into `dir`.
pub fn write_to(dir: &Path) -> Result<()> {
    for (rel, contents) in all_files() {
        let dest = dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&dest, contents)
            .with_context(|| format!("cannot write {}", dest.display()))?;
    }
    Ok(())
}
