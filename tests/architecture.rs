//! The runner's layers (docs/architecture.md): no module imports from a layer above its own,
//! and modules of one layer do not import each other. Read from the source, so a new upward
//! `use crate::…` fails here, not in a reviewer's head.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;

/// Top-level modules of `src/`, lowest layer first.
const LAYERS: &[&[&str]] = &[
    &["sys", "fs", "exit"],
    &["cleanup"],
    &["sandbox"],
    &["course"],
    &["services"],
    &["runner", "synthetic"],
    &["bugs"],
    &["check"],
    &["session", "ui"],
    &["list", "instructor"],
    &["watch"],
    &["cli"],
    &["commands"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn crate_refs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `backlings_crate::`, not ours
        }
        let name: String = text[i + 7..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(own) = layer_of(&top) else {
            problems.push(format!(
                "src/{} belongs to no layer: add `{top}` to LAYERS and to docs/architecture.md",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for target in crate_refs(&text) {
            if target == top {
                continue;
            }
            match layer_of(&target) {
                Some(l) if l < own => {}
                Some(_) => problems.push(format!(
                    "src/{} ({top}) uses crate::{target}, which is not below it",
                    rel.display()
                )),
                None => problems.push(format!(
                    "src/{} uses crate::{target}, which belongs to no layer",
                    rel.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_sees_an_upward_import() {
    assert_eq!(
        crate_refs("use crate::ui::paint; my_crate::nope; crate::"),
        ["ui"]
    );
}
