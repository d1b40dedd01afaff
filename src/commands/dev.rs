//! `exercise dev new`: scaffolds an exercise in the course's format, so authors start from a
//! package that already compiles, fails its test, and is listed in info.toml.

use std::fs;

use anyhow::{Context, Result, bail};

use crate::course::manifest::{MANIFEST_FILE, Manifest, is_valid_name};
use crate::course::{Course, EXERCISES_DIR, SOLUTIONS_DIR};
use crate::exit::Exit;
use crate::ui::{BOLD, GREEN, paint};

pub fn unify_deps(course: &Course) -> Result<Exit> {
    anstream::eprintln!("Reading every exercise's dependency graph (cargo tree)…");
    let (rounds, graphs) = crate::instructor::deps::unify(course)?;
    let crates: std::collections::BTreeSet<_> = graphs.values().flat_map(|g| g.keys()).collect();
    anstream::println!(
        "{} {} exercises agree on the features of {} crates ({rounds} round{}). Commit the Cargo.toml files it wrote.",
        paint(GREEN, "✓"),
        graphs.len(),
        crates.len(),
        if rounds == 1 { "" } else { "s" }
    );
    Ok(Exit::Success)
}

pub fn new_exercise(course: &Course, name: &str, topic: &str) -> Result<Exit> {
    if !is_valid_name(name) {
        bail!("exercise name `{name}` must use only a-z, 0-9 and _");
    }
    if course.manifest.exercise(name).is_some() {
        bail!("an exercise named `{name}` already exists");
    }
    let Some(topic_info) = course.manifest.topic(topic) else {
        let known: Vec<&str> = course
            .manifest
            .topics
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        bail!(
            "no topic `{topic}` in info.toml (topics: {})",
            known.join(", ")
        );
    };
    let topic_dir = course.workspace_dir().join(&topic_info.dir);
    let number = course
        .manifest
        .exercises
        .iter()
        .filter(|e| e.topic == topic)
        .count()
        + 1;
    let rel_dir = format!("{}/{number:02}_{name}", topic_info.dir);
    let ex_dir = course.root.join(EXERCISES_DIR).join(&rel_dir);
    if ex_dir.exists() {
        bail!("{} already exists", ex_dir.display());
    }
    let sol_dir = course.root.join(SOLUTIONS_DIR).join(&rel_dir);

    // The manifest edit is computed (and checked by parsing it) before anything is written.
    let manifest_path = course.root.join(MANIFEST_FILE);
    let text = fs::read_to_string(&manifest_path)?;
    let new_text = insert_exercise_entry(&text, &course.manifest, topic, name, &rel_dir);
    Manifest::parse(&new_text, &manifest_path.display().to_string())
        .context("internal error: the scaffolded info.toml does not parse")?;

    fs::create_dir_all(&topic_dir)?;
    let files = [
        (ex_dir.join("Cargo.toml"), cargo_toml(name)),
        (ex_dir.join("README.md"), readme(name)),
        (ex_dir.join("src/lib.rs"), LIB_RS.to_owned()),
        (ex_dir.join("tests/checks.rs"), checks_rs(name)),
        (sol_dir.join("src/lib.rs"), SOLUTION_RS.to_owned()),
    ];
    for (path, contents) in &files {
        fs::create_dir_all(path.parent().unwrap_or(&course.root))?;
        fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    }
    crate::fs::write_atomically(&manifest_path, new_text.as_bytes())?;
    anstream::println!(
        "{} created {}",
        paint(GREEN, "✓"),
        paint(BOLD, &format!("{EXERCISES_DIR}/{rel_dir}"))
    );
    for (path, _) in &files {
        anstream::println!(
            "  {}",
            path.strip_prefix(&course.root).unwrap_or(path).display()
        );
    }
    anstream::println!("  {MANIFEST_FILE} (new [[exercises]] entry: write its hint)");
    anstream::println!(
        "Add the crates it uses (`dep = {{ workspace = true }}`), then run `exercise dev deps`.\n\
         See docs/authoring.md for what makes a good lesson, test and mutant."
    );
    Ok(Exit::Success)
}

/// Inserts the entry after the topic's last exercise (curriculum order), keeping the rest of the
/// file (comments, formatting) untouched.
fn insert_exercise_entry(
    text: &str,
    manifest: &Manifest,
    topic: &str,
    name: &str,
    dir: &str,
) -> String {
    let entry = format!(
        "[[exercises]]\nname = \"{name}\"\ntopic = \"{topic}\"\ndir = \"{dir}\"\nhint = \"\"\"\nTODO: a hint that points at the concept, not at the answer.\n\"\"\"\n\n"
    );
    let last_of_topic = manifest.exercises.iter().rposition(|e| e.topic == topic);
    let insert_before = match last_of_topic {
        Some(i) => i + 1,
        // A topic with no exercises yet goes after the exercises of the topics before it.
        None => {
            let topic_pos = manifest
                .topics
                .iter()
                .position(|t| t.name == topic)
                .unwrap_or(0);
            let earlier: Vec<&str> = manifest.topics[..topic_pos]
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            manifest
                .exercises
                .iter()
                .rposition(|e| earlier.contains(&e.topic.as_str()))
                .map_or(0, |i| i + 1)
        }
    };
    let headers: Vec<usize> = text
        .match_indices("[[exercises]]")
        .filter(|(i, _)| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i)
        .collect();
    match headers.get(insert_before) {
        Some(&at) => format!("{}{entry}{}", &text[..at], &text[at..]),
        None => {
            let sep = if text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{text}{sep}{}", entry.trim_end_matches('\n')) + "\n"
        }
    }
}

fn cargo_toml(name: &str) -> String {
    // Only what the exercise uses: a learner builds nothing else. Its crates come from
    // [workspace.dependencies]; `exercise dev deps` then pins their features (docs/authoring.md).
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n"
    )
}

fn readme(name: &str) -> String {
    format!(
        "# {name}\n\nTODO: the concept, in a few paragraphs.\n\n## Why it matters in production\n\nTODO\n\n## Your task\n\nMake the tests in `tests/checks.rs` pass by finishing `src/lib.rs`.\n\n## Further reading\n\n- TODO: the spec or the crate docs\n"
    )
}

fn checks_rs(name: &str) -> String {
    format!(
        "use {name}::answer;\n\n#[test]\nfn answer_is_42() {{\n    assert_eq!(answer(), 42, \"TODO: an assertion message that teaches\");\n}}\n"
    )
}

const LIB_RS: &str = "// TODO: what the learner has to do, in one or two lines.\n\npub fn answer() -> u32 {\n    todo!(\"return the answer\")\n}\n";
const SOLUTION_RS: &str = "pub fn answer() -> u32 {\n    42\n}\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_goes_after_the_topics_last_exercise() {
        let text = "format_version = 1\nwelcome_message = \"w\"\nfinal_message = \"f\"\n\n[[topics]]\nname = \"a\"\ntitle = \"A\"\ndir = \"01_a\"\n\n[[topics]]\nname = \"b\"\ntitle = \"B\"\ndir = \"02_b\"\n\n[[exercises]]\nname = \"a1\"\ntopic = \"a\"\ndir = \"01_a/01_a1\"\nhint = \"h\"\n\n[[exercises]]\nname = \"b1\"\ntopic = \"b\"\ndir = \"02_b/01_b1\"\nhint = \"h\"\n";
        let m = Manifest::parse(text, "info.toml").unwrap();
        let out = insert_exercise_entry(text, &m, "a", "a2", "01_a/02_a2");
        let m2 = Manifest::parse(&out, "info.toml").unwrap();
        let names: Vec<_> = m2.exercises.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a1", "a2", "b1"]);
        let out = insert_exercise_entry(text, &m, "b", "b2", "02_b/02_b2");
        let m3 = Manifest::parse(&out, "info.toml").unwrap();
        let names: Vec<_> = m3.exercises.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a1", "b1", "b2"]);
    }
}
