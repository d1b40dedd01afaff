//! File helpers used across the runner: atomic writes, content-aware writes, and one tree walk
//! (build output in `target/` is never part of a course's files).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes through a temp file in the same directory and renames it over `path`: a crash or a
/// kill mid-write leaves either the old or the new file, never a torn one.
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

/// Writes `contents` unless the file already has them (so cargo sees an unchanged file as
/// fresh). Returns whether it wrote.
pub fn write_if_changed(path: &Path, contents: &[u8]) -> Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

/// Every file below `dir`, relative to it, sorted; `target/` folders are skipped. A missing
/// `dir` has no files.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.file_type().is_dir() && e.file_name() == "target"));
    for entry in walk {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if e.depth() == 0 && !dir.exists() => break,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
            out.push(rel.to_path_buf());
        }
    }
    Ok(out)
}

/// The files below `dir` with their contents, keyed by path relative to `dir`.
pub fn read_tree(dir: &Path) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
    files_under(dir)?
        .into_iter()
        .map(|rel| {
            let path = dir.join(&rel);
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((rel, bytes))
        })
        .collect()
}

/// Copies a directory tree (without build output) into `to`.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for rel in files_under(from)? {
        let (src, dest) = (from.join(&rel), to.join(&rel));
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(&src, &dest)
            .with_context(|| format!("cannot copy {} to {}", src.display(), dest.display()))?;
    }
    Ok(())
}

/// Makes `dir` hold exactly `files`: changed files rewritten, unchanged ones left alone (their
/// timestamps too), files not listed removed.
pub fn sync_dir(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
    for rel in files_under(dir)? {
        if !files.contains_key(&rel) {
            let path = dir.join(&rel);
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    for (rel, contents) in files {
        write_if_changed(&dir.join(rel), contents)?;
    }
    Ok(())
}

/// Whether a file exists and has more than white space in it.
pub fn non_empty_file(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| !t.trim().is_empty())
}

pub fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// Creates `dir` (and its parents) traversable by every user: the local provider runs Postgres
/// as the `postgres` user when the CLI runs as root, and it must reach its data folder.
pub fn create_shared_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn walks_skip_target_and_sync_removes_strays() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["a.rs", "src/b.rs", "target/debug/x", "src/target/y"] {
            write_if_changed(&root.join(f), b"1").unwrap();
        }
        let files = files_under(root).unwrap();
        assert_eq!(files, [PathBuf::from("a.rs"), PathBuf::from("src/b.rs")]);
        assert!(files_under(&root.join("missing")).unwrap().is_empty());

        let copy = root.join("copy");
        copy_tree(&root.join("src"), &copy).unwrap();
        assert_eq!(read_tree(&copy).unwrap().len(), 1);

        let wanted = BTreeMap::from([(PathBuf::from("new.rs"), b"2".to_vec())]);
        sync_dir(&copy, &wanted).unwrap();
        assert_eq!(read_tree(&copy).unwrap(), wanted);
        assert!(
            !write_if_changed(&copy.join("new.rs"), b"2").unwrap(),
            "unchanged: not written"
        );
    }
}
