//! The course's `backlings.toml`, read in one place: `[services]` (defaults, overridden by the
//! file, overridden by environment variables) and `[watch]` (watch mode's switches).

use std::path::Path;

use serde::Deserialize;

use super::ProviderKind;

pub const CONFIG_FILE: &str = "backlings.toml";
pub const POSTGRES_IMAGE_VAR: &str = "BACKLINGS_POSTGRES_IMAGE";
pub const REDIS_IMAGE_VAR: &str = "BACKLINGS_REDIS_IMAGE";
pub const DEFAULT_POSTGRES_IMAGE: &str = "postgres:16-alpine";
pub const DEFAULT_REDIS_IMAGE: &str = "redis:7-alpine";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicesConfig {
    pub postgres_image: String,
    pub redis_image: String,
    /// The provider from the config file, used when neither --services nor BACKLINGS_SERVICES says.
    pub provider: Option<ProviderKind>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    services: FileServices,
    #[serde(default)]
    watch: FileWatch,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWatch {
    /// `prepare = false`: no background preparation (like `--no-prepare`).
    prepare: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServices {
    postgres_image: Option<String>,
    redis_image: Option<String>,
    provider: Option<ProviderKind>,
}

/// `[watch] prepare` from backlings.toml: false turns the background preparation off.
pub fn watch_prepare(course_root: &Path) -> anyhow::Result<bool> {
    Ok(read_file(course_root)?.watch.prepare.unwrap_or(true))
}

fn read_file(course_root: &Path) -> anyhow::Result<File> {
    let path = course_root.join(CONFIG_FILE);
    Ok(match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: {}",
                path.display(),
                e.message().trim().replace('\n', " ")
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    })
}

impl ServicesConfig {
    pub fn load(course_root: &Path) -> anyhow::Result<ServicesConfig> {
        let file = read_file(course_root)?;
        let env = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
        Ok(ServicesConfig {
            postgres_image: env(POSTGRES_IMAGE_VAR)
                .or(file.services.postgres_image)
                .unwrap_or_else(|| DEFAULT_POSTGRES_IMAGE.to_owned()),
            redis_image: env(REDIS_IMAGE_VAR)
                .or(file.services.redis_image)
                .unwrap_or_else(|| DEFAULT_REDIS_IMAGE.to_owned()),
            provider: file.services.provider,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_watch_section_switches_preparation_and_typos_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(watch_prepare(dir.path()).unwrap(), "on without a file");
        let file = dir.path().join(CONFIG_FILE);
        std::fs::write(
            &file,
            "[watch]\nprepare = false\n[services]\nprovider = \"local\"\n",
        )
        .unwrap();
        assert!(!watch_prepare(dir.path()).unwrap());
        assert_eq!(
            ServicesConfig::load(dir.path()).unwrap().provider,
            Some(ProviderKind::Local)
        );
        std::fs::write(&file, "[watch]\nprepair = false\n").unwrap();
        let err = watch_prepare(dir.path()).unwrap_err().to_string();
        assert!(err.contains("prepair"), "{err}");
    }
}
