//! The build profile of the workspaces that verify and grade compile once and never debug.
//!
//! Learners edit and rebuild, so their profile keeps incremental state and line tables. A
//! verify or grade build compiles each variant once and only runs it: incremental state (4 GB
//! for the whole course) and debug info (half of every test binary) are disk and time spent on
//! nothing. Panic messages keep their file and line: those are data, not debug info.

/// Rewrites `[profile.dev]` of a workspace manifest for a build that is compiled once and run.
pub fn apply(manifest: &mut toml::Table) {
    let profiles = table(manifest, "profile");
    let dev = table(profiles, "dev");
    dev.insert("incremental".into(), false.into());
    dev.insert("debug".into(), false.into());
    dev.insert("strip".into(), "symbols".into());
}

fn table<'a>(parent: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    let entry = parent
        .entry(key)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    entry.as_table_mut().expect("just made a table")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_profile_is_rewritten_and_the_rest_kept() {
        let mut m: toml::Table = toml::from_str(
            "[profile.dev]\ndebug = \"line-tables-only\"\n[profile.dev.package.argon2]\nopt-level = 3\n",
        )
        .unwrap();
        apply(&mut m);
        let dev = m["profile"]["dev"].as_table().unwrap();
        assert_eq!(dev["debug"].as_bool(), Some(false));
        assert_eq!(dev["incremental"].as_bool(), Some(false));
        assert_eq!(dev["strip"].as_str(), Some("symbols"));
        assert_eq!(dev["package"]["argon2"]["opt-level"].as_integer(), Some(3));

        let mut empty = toml::Table::new();
        apply(&mut empty);
        assert_eq!(empty["profile"]["dev"]["strip"].as_str(), Some("symbols"));
    }
}
