//! `exercise list`: the course at a glance. Interactive (ratatui, in `tui`) in a terminal; a
//! plain table or JSON otherwise.

mod tui;

use std::fmt::Write as _;
use std::io::IsTerminal;

use anyhow::Result;
use serde::Serialize;

use crate::course::Service;
use crate::exit::Exit;
use crate::session::Session;
pub use tui::{ListExit, interactive};

#[derive(Serialize)]
struct ListEntry<'a> {
    name: &'a str,
    topic: &'a str,
    /// Relative to the course root.
    dir: String,
    done: bool,
    current: bool,
    services: &'a [Service],
}

pub fn list(mut session: Session, json: bool) -> Result<Exit> {
    if json {
        println!("{}", json_text(&session)?);
        return Ok(Exit::Success);
    }
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        anstream::print!("{}", table(&session));
        return Ok(Exit::Success);
    }
    if let ListExit::Jumped(name) = interactive(&mut session)? {
        anstream::println!("Current exercise: {name}. Run `exercise` to work on it.");
    }
    Ok(Exit::Success)
}

fn json_text(session: &Session) -> Result<String> {
    let course = session.course();
    let entries: Vec<ListEntry> = course
        .manifest
        .exercises
        .iter()
        .enumerate()
        .map(|(i, ex)| ListEntry {
            name: &ex.name,
            topic: &ex.topic,
            dir: course.exercise_rel(ex),
            done: session.is_done(&ex.name),
            current: i == session.current_index(),
            services: &ex.services,
        })
        .collect();
    Ok(serde_json::to_string_pretty(&entries)?)
}

/// The plain table (no terminal): one row per exercise, `>` at the current one.
fn table(session: &Session) -> String {
    let mut s = String::new();
    let course = session.course();
    let m = &course.manifest;
    let name_w = m
        .exercises
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = writeln!(s, "    {:<7} {:<name_w$} PATH", "STATUS", "NAME");
    for (i, ex) in m.exercises.iter().enumerate() {
        let marker = if i == session.current_index() {
            ">"
        } else {
            " "
        };
        let status = if session.is_done(&ex.name) {
            "done"
        } else {
            "pending"
        };
        let _ = writeln!(
            s,
            "{marker} {:>2} {status:<7} {:<name_w$} {}",
            i + 1,
            ex.name,
            course.exercise_rel(ex)
        );
    }
    let _ = writeln!(s, "\n{}/{} done", session.done_count(), session.total());
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::runner::{Outcome, Verdict};

    #[test]
    fn the_plain_table_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = String::from(
            "format_version = 1\nwelcome_message = \"w\"\nfinal_message = \"f\"\n\
             [[topics]]\nname = \"t\"\ntitle = \"T\"\ndir = \"01_t\"\n",
        );
        for (name, services) in [
            ("errors", ""),
            ("pg_queries", "services = [\"postgres\"]\n"),
        ] {
            toml.push_str(&format!(
                "[[exercises]]\nname = \"{name}\"\ntopic = \"t\"\ndir = \"01_t/{name}\"\nhint = \"h\"\n{services}"
            ));
        }
        std::fs::write(dir.path().join("info.toml"), toml).unwrap();
        let mut session = Session::open(Some(dir.path())).unwrap();
        session
            .record(&Outcome::new("errors", Verdict::Passed, String::new(), 1))
            .unwrap();
        session.advance().unwrap();
        insta::assert_snapshot!(table(&session));
        insta::assert_snapshot!(json_text(&session).unwrap());
    }
}
