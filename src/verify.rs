//! `exercise verify`: proves a course is sound. The manifest agrees with the files; every shipped
//! exercise compiles and fails; every solution passes and is rustfmt- and clippy-clean; every
//! mutant (a plausible wrong solution) is rejected by the tests.
//!
//! Every variant of every exercise (as shipped, solved, each mutant) becomes a package of one
//! synthetic workspace in `exercises/target/verify/ws`, named `<exercise>__<variant>` and built
//! by a single cargo invocation into `exercises/target/verify/target`. Distinct names and paths
//! matter: cargo derives a member's artifact names from its name and its path relative to the
//! workspace root, so two copies of one package in one target dir would overwrite each other
//! (and never into the learner's `exercises/target`: a copy's artifacts could pass for the
//! learner's own). The workspace is kept between runs and files are rewritten only when their
//! content changes, so a second verify rebuilds only what changed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::course::{Course, EXERCISES_DIR, SOLUTIONS_DIR};
use crate::manifest::ExerciseInfo;
use crate::pristine::copy_tree;
use crate::report::{Case, Report, Status};
use crate::runner::exercise::{Options, run_many};
use crate::runner::{Outcome, TestStatus, Verdict};
use crate::services::Services;
use crate::ui;

pub const MUTANTS_DIR: &str = "mutants";

pub struct VerifyOptions {
    pub jobs: usize,
    /// Skip rustfmt and clippy (for machines without those components).
    pub skip_style: bool,
    /// Only these exercises (by name); empty means the whole course.
    pub only: Vec<String>,
}

pub fn verify(course: &Course, opts: &VerifyOptions, services: &mut Services) -> Result<Report> {
    let mut cases = check_manifest(course)?;
    if let Some(unknown) = opts
        .only
        .iter()
        .find(|n| !course.manifest.exercises.iter().any(|ex| &ex.name == *n))
    {
        anyhow::bail!("no exercise named `{unknown}` in info.toml (`exercise list` shows the names)");
    }
    let exercises: Vec<&ExerciseInfo> = course
        .manifest
        .exercises
        .iter()
        .filter(|ex| opts.only.is_empty() || opts.only.contains(&ex.name))
        .filter(|ex| course.exercise_dir(ex).join("Cargo.toml").is_file())
        .collect();
    let mutants: BTreeMap<&str, Vec<PathBuf>> = exercises
        .iter()
        .map(|ex| (ex.name.as_str(), mutant_files(course, ex)))
        .collect();

    // Every variant of every exercise (as shipped, solved, each mutant) is a package of one
    // synthetic workspace: one cargo build compiles them all in parallel, and the workspace is
    // kept between runs so that what did not change is not rebuilt.
    let mut variants = Vec::new();
    for ex in &exercises {
        variants.push(Variant::new(ex, Kind::Shipped));
        variants.push(Variant::new(ex, Kind::Solution));
        for m in &mutants[ex.name.as_str()] {
            variants.push(Variant::new(ex, Kind::Mutant(m.clone())));
        }
    }
    // A variant whose files cannot be assembled (a mutant patch that no longer applies) is
    // reported, and left out of the build.
    let mut prepared = Vec::new();
    for v in variants {
        match v.files(course) {
            Ok(files) => prepared.push((v, files)),
            Err(e) => {
                let (group, what) = match &v.kind {
                    Kind::Mutant(path) => (
                        "mutant",
                        format!("mutant `{}` is rejected", mutant_stem(path)),
                    ),
                    Kind::Solution => ("solution", "solution passes".to_owned()),
                    Kind::Shipped => ("unsolved", "fails as shipped".to_owned()),
                };
                cases.push(
                    Case::new(group, format!("{}: {what}", v.ex.name), Status::Fail)
                        .message(format!("{e:#}")),
                );
            }
        }
    }
    let root = course.workspace_dir().join("target").join("verify");
    let ws = root.join("ws");
    let target = root.join("target");
    sync_workspace(course, &ws, &prepared, opts.only.is_empty())?;
    let variants: Vec<Variant> = prepared.into_iter().map(|(v, _)| v).collect();

    let progress = Progress::new(variants.len());
    progress.stage("building and testing every variant");
    let infos: Vec<ExerciseInfo> = variants.iter().map(|v| v.info.clone()).collect();
    let refs: Vec<&ExerciseInfo> = infos.iter().collect();
    let outcomes = run_round(&ws, &target, &refs, services, opts.jobs, &progress)?;

    for (v, o) in variants.iter().zip(&outcomes) {
        let case = match &v.kind {
            Kind::Shipped => unsolved_case(v.ex, o),
            Kind::Solution => solution_case(v.ex, o),
            Kind::Mutant(path) => timed(mutant_case(course, v.ex, path, o), o),
        };
        cases.push(case);
    }
    // Report in a stable order: manifest, unsolved, solutions, then mutants (style comes next).
    let order = |c: &Case| {
        ["manifest", "unsolved", "solution", "style", "mutant"]
            .iter()
            .position(|g| *g == c.group)
    };
    cases.sort_by_key(order);

    if !opts.skip_style {
        progress.stage("solutions are rustfmt- and clippy-clean");
        let mut style = rustfmt_cases(course, &exercises);
        let solved: Vec<&Variant> = variants
            .iter()
            .filter(|v| v.kind == Kind::Solution)
            .collect();
        style.extend(clippy_cases(&ws, &target, &solved)?);
        let at = cases
            .iter()
            .position(|c| c.group == "mutant")
            .unwrap_or(cases.len());
        cases.splice(at..at, style);
    }
    progress.finish();
    Ok(Report::new("verify", cases))
}

fn solution_case(ex: &ExerciseInfo, o: &Outcome) -> Case {
    let name = format!("{}: solution passes", ex.name);
    let case = match o.verdict {
        Verdict::Passed => Case::new("solution", name, Status::Pass),
        Verdict::ServicesUnavailable => services_case("solution", ex, o),
        _ => Case::new("solution", name, Status::Fail)
            .message(format!("the solution does not pass ({})", verdict_words(o)))
            .output(outcome_text(o)),
    };
    timed(case, o)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Shipped,
    Solution,
    Mutant(PathBuf),
}

/// One package of the synthetic workspace: an exercise as shipped, solved, or mutated.
struct Variant<'a> {
    ex: &'a ExerciseInfo,
    kind: Kind,
    /// Where the package lives, relative to the synthetic workspace.
    dir: PathBuf,
    /// The exercise's settings under the variant's package name (`<exercise>__<variant>`).
    info: ExerciseInfo,
}

impl<'a> Variant<'a> {
    fn new(ex: &'a ExerciseInfo, kind: Kind) -> Variant<'a> {
        let (suffix, dir) = match &kind {
            Kind::Shipped => ("shipped".to_owned(), Path::new("shipped").join(&ex.dir)),
            Kind::Solution => ("solution".to_owned(), Path::new("solution").join(&ex.dir)),
            Kind::Mutant(path) => {
                let stem: String = mutant_stem(path)
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                (
                    format!("m_{stem}"),
                    Path::new("mutant").join(&ex.name).join(&stem),
                )
            }
        };
        let mut info = ex.clone();
        info.name = format!("{}__{suffix}", ex.name);
        Variant {
            ex,
            kind,
            dir,
            info,
        }
    }

    /// The variant's files (relative to its package dir) and their contents.
    fn files(&self, course: &Course) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
        let mut files = BTreeMap::new();
        let mut add_tree = |root: &Path, skip_mutants: bool| -> Result<()> {
            let mut paths = Vec::new();
            walk(root, &mut |p| paths.push(p.to_path_buf()));
            for p in paths {
                let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
                if skip_mutants && rel.starts_with(MUTANTS_DIR) {
                    continue;
                }
                files.insert(
                    rel,
                    std::fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?,
                );
            }
            Ok(())
        };
        add_tree(&course.exercise_dir(self.ex), false)?;
        if self.kind != Kind::Shipped {
            add_tree(&course.solution_dir(self.ex), true)?;
        }
        if let Kind::Mutant(path) = &self.kind {
            if path.is_dir() {
                add_tree(path, false)?;
            } else if path.extension().is_some_and(|e| e == "patch") {
                let text = std::fs::read_to_string(path)?;
                for (file, patched) in apply_patch(&text, &files).map_err(|e| {
                    anyhow::anyhow!(
                        "mutant {} does not apply to the solution: {e}",
                        path.display()
                    )
                })? {
                    files.insert(file, patched.into_bytes());
                }
            } else {
                files.insert(PathBuf::from("src/lib.rs"), std::fs::read(path)?);
            }
        }
        let manifest = files
            .get(Path::new("Cargo.toml"))
            .with_context(|| format!("{} has no Cargo.toml", self.ex.dir))?;
        let manifest = rename_package(manifest, &self.info.name, &self.ex.name)?;
        files.insert(PathBuf::from("Cargo.toml"), manifest);
        Ok(files)
    }
}

/// Applies a mutant patch (unified diff, one or more files, paths relative to the exercise, text
/// before the first `---` line is its description) to the solved files. Returns the new
/// contents of each patched file.
fn apply_patch(
    text: &str,
    files: &BTreeMap<PathBuf, Vec<u8>>,
) -> Result<Vec<(PathBuf, String)>, String> {
    let mut out = Vec::new();
    let starts: Vec<usize> = text
        .match_indices("--- ")
        .filter(|(i, _)| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i)
        .collect();
    if starts.is_empty() {
        return Err("it contains no `--- a/<file>` header".into());
    }
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let one = &text[start..end];
        let patch = diffy::Patch::from_str(one).map_err(|e| e.to_string())?;
        let name = patch
            .modified()
            .or(patch.original())
            .ok_or("a file header has no path")?;
        let rel = PathBuf::from(
            name.trim()
                .trim_start_matches("b/")
                .trim_start_matches("a/"),
        );
        let base = files.get(&rel).ok_or_else(|| {
            format!(
                "it patches {}, which the solved exercise does not have",
                rel.display()
            )
        })?;
        let base = String::from_utf8_lossy(base);
        let patched = diffy::apply(&base, &patch).map_err(|e| format!("{}: {e}", rel.display()))?;
        out.push((rel, patched));
    }
    Ok(out)
}

/// The package gets the variant's name (so variants never share artifacts) while its library
/// keeps the exercise's crate name (so the tests' `use exercise::…` still resolves).
fn rename_package(manifest: &[u8], package: &str, lib: &str) -> Result<Vec<u8>> {
    let text = String::from_utf8_lossy(manifest);
    let mut table: toml::Table =
        toml::from_str(&text).context("cannot parse an exercise's Cargo.toml")?;
    if let Some(pkg) = table.get_mut("package").and_then(|p| p.as_table_mut()) {
        pkg.insert("name".into(), toml::Value::String(package.to_owned()));
    }
    let lib_table = table
        .entry("lib")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(lib_table) = lib_table.as_table_mut() {
        lib_table
            .entry("name")
            .or_insert_with(|| toml::Value::String(lib.replace('-', "_")));
    }
    Ok(toml::to_string(&table)?.into_bytes())
}

/// Brings the synthetic workspace in line with the course: files are written only when their
/// content changed (so cargo sees unchanged packages as fresh), stale files and variants removed.
fn sync_workspace(
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
            let mut files = BTreeMap::new();
            let base = entry.path();
            let mut paths = Vec::new();
            walk(&base, &mut |p| paths.push(p.to_path_buf()));
            for p in paths {
                files.insert(
                    p.strip_prefix(&base).unwrap_or(&p).to_path_buf(),
                    std::fs::read(&p)?,
                );
            }
            sync_dir(&dest, &files)?;
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

fn sync_dir(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) -> Result<()> {
    let mut existing = Vec::new();
    walk(dir, &mut |p| existing.push(p.to_path_buf()));
    for p in existing {
        let rel = p.strip_prefix(dir).unwrap_or(&p);
        if !files.contains_key(rel) {
            std::fs::remove_file(&p)?;
        }
    }
    for (rel, contents) in files {
        write_if_changed(&dir.join(rel), contents)?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, contents: &[u8]) -> Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

fn timed(mut case: Case, o: &Outcome) -> Case {
    case.duration = o.duration;
    case
}

fn unsolved_case(ex: &ExerciseInfo, o: &Outcome) -> Case {
    let name = format!("{}: fails as shipped", ex.name);
    if ex.skip_check_unsolved {
        return Case::new("unsolved", name, Status::Pass)
            .message("skipped (skip_check_unsolved = true)");
    }
    let case = match o.verdict {
        Verdict::TestsFailed | Verdict::TimedOut => Case::new("unsolved", name, Status::Pass),
        Verdict::Passed => Case::new("unsolved", name, Status::Fail)
            .message("passes as shipped: its tests check nothing the learner has to do (or set skip_check_unsolved)"),
        Verdict::CompileError => Case::new("unsolved", name, Status::Fail)
            .message("does not compile as shipped: exercises must compile, with todo!() where the learner works")
            .output(&o.details),
        Verdict::NoTests => Case::new("unsolved", name, Status::Fail).message("has no tests"),
        Verdict::ServicesUnavailable => services_case("unsolved", ex, o),
        Verdict::Cancelled => Case::new("unsolved", name, Status::Error).message("cancelled"),
    };
    timed(case, o)
}

/// A mutant's name: its file name without the extension (`no_ttl.patch` → `no_ttl`).
fn mutant_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn mutant_case(course: &Course, ex: &ExerciseInfo, mutant: &Path, o: &Outcome) -> Case {
    let stem = mutant_stem(mutant);
    let name = format!("{}: mutant `{stem}` is rejected", ex.name);
    let rel = mutant
        .strip_prefix(&course.root)
        .unwrap_or(mutant)
        .display()
        .to_string();
    match o.verdict {
        Verdict::TestsFailed | Verdict::TimedOut => Case::new("mutant", name, Status::Pass),
        Verdict::Passed => Case::new("mutant", name, Status::Fail).message(format!(
            "mutant survives: the tests accept {rel}, a wrong solution{}",
            describe_mutant(mutant)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        Verdict::CompileError => Case::new("mutant", name, Status::Fail)
            .message(format!(
                "{rel} does not compile; a mutant must be a plausible solution that builds"
            ))
            .output(&o.details),
        Verdict::ServicesUnavailable => services_case("mutant", ex, o),
        _ => Case::new("mutant", name, Status::Error).message(verdict_words(o)),
    }
}

/// What is wrong with a mutant, from the first line of its (first) file when that is a `//!` or
/// `--` comment.
fn describe_mutant(path: &Path) -> Option<String> {
    let file = if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut |p| files.push(p.to_path_buf()));
        files.sort();
        files.into_iter().next()?
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).ok()?;
    let first = text.lines().next()?.trim();
    if file.extension().is_some_and(|e| e == "patch") {
        // A patch's description is the text before its first `--- ` header.
        return (!first.starts_with("--- ") && !first.is_empty()).then(|| first.to_owned());
    }
    first
        .strip_prefix("//!")
        .or_else(|| first.strip_prefix("--"))
        .map(|d| d.trim().to_owned())
}

fn services_case(group: &'static str, ex: &ExerciseInfo, o: &Outcome) -> Case {
    Case::new(group, format!("{}: {group}", ex.name), Status::Error)
        .message(format!("cannot run: {}", o.details))
}

fn verdict_words(o: &Outcome) -> String {
    match o.verdict {
        Verdict::Passed => "passes".into(),
        Verdict::CompileError => "does not compile".into(),
        Verdict::TestsFailed => format!("{} failing test(s)", o.count(TestStatus::Failed)),
        Verdict::TimedOut => format!("timed out after {} s", o.timeout_secs),
        Verdict::NoTests => "no tests".into(),
        Verdict::ServicesUnavailable => o.details.clone(),
        Verdict::Cancelled => "cancelled".into(),
    }
}

/// The outcome as text for a report: what a learner would see, without colour and without the
/// headline (the report's message says it).
pub fn outcome_text(o: &Outcome) -> String {
    let text = ui::strip_ansi(&ui::render_outcome(o));
    text.split_once('\n').map_or(String::new(), |(_, rest)| {
        rest.trim_start_matches('\n').to_owned()
    })
}

fn run_round(
    workspace: &Path,
    target: &Path,
    exercises: &[&ExerciseInfo],
    services: &mut Services,
    jobs: usize,
    progress: &Progress,
) -> Result<Vec<Outcome>> {
    progress.reset(exercises.len());
    let sink = |line: &str| progress.cargo_line(line);
    run_many(
        exercises,
        services,
        jobs,
        &Options {
            workspace,
            target_dir: Some(target),
            cancel: None,
            on_progress: Some(&sink),
        },
        |o| progress.done(&o.exercise),
    )
}

/// Copies the exercises workspace (without build output) to `scratch/name`, then lets `prepare`
/// change the copy.
pub fn workspace_copy(
    course: &Course,
    scratch: &Path,
    name: &str,
    prepare: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let ws = scratch.join(name).join(EXERCISES_DIR);
    copy_tree(&course.workspace_dir(), &ws)?;
    prepare(&ws)?;
    Ok(ws)
}

/// The files of an exercise's solution, relative to the solution dir, mutants excluded.
fn solution_files(course: &Course, ex: &ExerciseInfo) -> Vec<(PathBuf, PathBuf)> {
    let root = course.solution_dir(ex);
    let mut out = Vec::new();
    walk(&root, &mut |path| {
        let rel = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
        if !rel.starts_with(MUTANTS_DIR) {
            out.push((rel, path.to_path_buf()));
        }
    });
    out.sort();
    out
}

fn mutant_files(course: &Course, ex: &ExerciseInfo) -> Vec<PathBuf> {
    let dir = course.solution_dir(ex).join(MUTANTS_DIR);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "rs" || x == "patch"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                walk(&path, f);
            }
        } else {
            f(&path);
        }
    }
}

fn non_empty_file(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| !t.trim().is_empty())
}

/// The manifest agrees with the files on disk.
pub fn check_manifest(course: &Course) -> Result<Vec<Case>> {
    let mut problems: Vec<String> = Vec::new();
    let m = &course.manifest;
    let ws = course.workspace_dir();

    // Workspace members, from cargo itself (globs, excludes and all).
    let members = workspace_members(&ws);
    let members = match members {
        Ok(members) => Some(members),
        Err(e) => {
            problems.push(format!(
                "cargo metadata failed for {}: {e:#}",
                ws.join("Cargo.toml").display()
            ));
            None
        }
    };

    for topic in &m.topics {
        if !non_empty_file(&ws.join(&topic.dir).join("README.md")) {
            problems.push(format!(
                "topic `{}`: {EXERCISES_DIR}/{}/README.md is missing or empty",
                topic.name, topic.dir
            ));
        }
    }
    for ex in &m.exercises {
        let dir = course.exercise_dir(ex);
        let rel = course.exercise_rel(ex);
        if let Some(topic) = m.topic(&ex.topic)
            && !Path::new(&ex.dir).starts_with(&topic.dir)
        {
            problems.push(format!(
                "exercise `{}`: dir `{}` is not inside its topic's folder `{}`",
                ex.name, ex.dir, topic.dir
            ));
        }
        if !dir.join("Cargo.toml").is_file() {
            problems.push(format!(
                "exercise `{}`: {rel}/Cargo.toml does not exist",
                ex.name
            ));
            continue;
        }
        if let Some(members) = &members {
            match members.iter().find(|(_, d)| same_dir(d, &dir)) {
                None => problems.push(format!("exercise `{}`: {rel} is not a member of the exercises workspace", ex.name)),
                Some((pkg, _)) if pkg != &ex.name => problems.push(format!(
                    "exercise `{}`: its package is named `{pkg}`; the package name must equal the exercise name",
                    ex.name
                )),
                Some(_) => {}
            }
        }
        if ex.hint.trim().is_empty() {
            problems.push(format!("exercise `{}`: the hint is empty", ex.name));
        }
        if !non_empty_file(&dir.join("README.md")) {
            problems.push(format!(
                "exercise `{}`: {rel}/README.md (the lesson) is missing or empty",
                ex.name
            ));
        }
        let solution = solution_files(course, ex);
        if solution.is_empty() {
            problems.push(format!(
                "exercise `{}`: {SOLUTIONS_DIR}/{} has no solution files",
                ex.name, ex.dir
            ));
        }
        for (file_rel, _) in &solution {
            if !dir.join(file_rel).is_file() {
                problems.push(format!(
                    "exercise `{}`: solution file {SOLUTIONS_DIR}/{}/{} has no counterpart in {rel}",
                    ex.name,
                    ex.dir,
                    file_rel.display()
                ));
            }
        }
    }
    // Members inside a topic folder are exercises and must be listed; others (support) are not.
    if let Some(members) = &members {
        let listed: BTreeSet<PathBuf> = m
            .exercises
            .iter()
            .map(|e| canonical(&course.exercise_dir(e)))
            .collect();
        for (pkg, dir) in members {
            let in_topic = m
                .topics
                .iter()
                .any(|t| dir.starts_with(canonical(&ws.join(&t.dir))));
            if in_topic && !listed.contains(dir) {
                let shown = dir
                    .strip_prefix(canonical(&course.root))
                    .unwrap_or(dir)
                    .display()
                    .to_string();
                problems.push(format!(
                    "workspace member `{pkg}` ({shown}) is not listed in info.toml"
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(vec![Case::new(
            "manifest",
            "manifest: consistent with the files",
            Status::Pass,
        )]);
    }
    Ok(problems
        .into_iter()
        .map(|p| Case::new("manifest", format!("manifest: {p}"), Status::Fail).message(p))
        .collect())
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    canonical(a) == canonical(b)
}

/// (package name, package dir) of every workspace member.
fn workspace_members(ws: &Path) -> Result<Vec<(String, PathBuf)>> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(ws.join("Cargo.toml"))
        .output()
        .context("cannot run cargo metadata")?;
    if !out.status.success() {
        anyhow::bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    Ok(meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .filter_map(|p| {
            let name = p["name"].as_str()?.to_owned();
            let dir = Path::new(p["manifest_path"].as_str()?).parent()?;
            Some((name, canonical(dir)))
        })
        .collect())
}

fn rustfmt_cases(course: &Course, exercises: &[&ExerciseInfo]) -> Vec<Case> {
    exercises
        .iter()
        .map(|ex| {
            let name = format!("{}: solution is rustfmt-clean", ex.name);
            let files: Vec<PathBuf> = solution_files(course, ex)
                .into_iter()
                .map(|(_, p)| p)
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect();
            if files.is_empty() {
                return Case::new("style", name, Status::Pass);
            }
            let out = Command::new("rustfmt")
                .args(["--check", "--edition", "2024"])
                .args(&files)
                .output();
            match out {
                Ok(o) if o.status.success() => Case::new("style", name, Status::Pass),
                Ok(o) => Case::new("style", name, Status::Fail)
                    .message("rustfmt would change the solution (run rustfmt on it)")
                    .output(String::from_utf8_lossy(&o.stdout)),
                Err(e) => Case::new("style", name, Status::Error)
                    .message(format!("cannot run rustfmt ({e}); install it with `rustup component add rustfmt` or pass --skip-style")),
            }
        })
        .collect()
}

fn clippy_cases(ws: &Path, target: &Path, solved: &[&Variant]) -> Result<Vec<Case>> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(ws)
        .args([
            "clippy",
            "--all-targets",
            "--keep-going",
            "--message-format=json",
            "--target-dir",
        ])
        .arg(target);
    for v in solved {
        cmd.arg("-p").arg(&v.info.name);
    }
    cmd.args(["--", "-D", "warnings"]);
    let started = Instant::now();
    let out = cmd.output().context("cannot run cargo clippy")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("no such command") {
        return Ok(vec![Case::new("style", "clippy", Status::Error).message(
            "cargo clippy is not installed: `rustup component add clippy`, or pass --skip-style",
        )]);
    }
    let mut findings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-message" || msg["message"]["level"] != "error" {
            continue;
        }
        let pkg = crate::runner::package_name(msg["package_id"].as_str().unwrap_or_default());
        let rendered = msg["message"]["rendered"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let list = findings.entry(pkg).or_default();
        if !list.contains(&rendered) {
            list.push(rendered);
        }
    }
    Ok(solved
        .iter()
        .map(|v| {
            let name = format!("{}: solution is clippy-clean", v.ex.name);
            let mut case = match findings.get(&v.info.name) {
                None => Case::new("style", name, Status::Pass),
                Some(msgs) => Case::new("style", name, Status::Fail)
                    .message(format!(
                        "clippy -D warnings reports {} problem(s)",
                        msgs.len()
                    ))
                    .output(msgs.join("\n")),
            };
            case.duration = started.elapsed();
            case
        })
        .collect())
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new(len: usize) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("#>-"),
        );
        Progress { bar }
    }

    fn stage(&self, what: &str) {
        self.bar.set_prefix(what.to_owned());
    }

    fn reset(&self, len: usize) {
        self.bar.set_length(len as u64);
        self.bar.set_position(0);
    }

    fn cargo_line(&self, line: &str) {
        let plain = ui::strip_ansi(line);
        let plain = plain.trim();
        if plain.starts_with("Compiling") {
            self.bar.set_message(plain.to_owned());
        }
    }

    fn done(&self, exercise: &str) {
        self.bar.inc(1);
        self.bar.set_message(exercise.to_owned());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
