//! Copies the course (info.toml, exercises/, solutions/, .vscode/) into OUT_DIR so that `include_dir!` embeds
//! it: `exercise reset` and `exercise init` then need neither git nor the network.
//!
//! Only build.rs and info.toml are tracked on purpose. A learner's edits to exercise files must never
//! re-trigger the embedding (the next `cargo run` would otherwise bake their edits into the
//! "pristine" copy); authors who change an exercise and need a fresh embed touch info.toml.

use std::fs;
use std::io;
use std::path::Path;

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    if !from.exists() {
        return fs::create_dir_all(to);
    }
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        // Build output and learner state are never part of the course.
        if name == "target" || name == ".backlings" {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=info.toml");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("course");
    if out.exists() {
        fs::remove_dir_all(&out)?;
    }
    fs::create_dir_all(&out)?;
    fs::copy(root.join("info.toml"), out.join("info.toml"))?;
    copy_tree(&root.join("exercises"), &out.join("exercises"))?;
    copy_tree(&root.join("solutions"), &out.join("solutions"))?;
    // Editor support travels with the course (`exercise init` writes it too).
    copy_tree(&root.join(".vscode"), &out.join(".vscode"))?;
    Ok(())
}
