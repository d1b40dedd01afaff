//! The course's `backlings.toml`, read in one place: `[services]` (defaults, overridden by the
//! file, overridden by environment variables) and `[watch]` (watch mode's switches).

use std::path::Path;

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ProviderKind, kinds};
use crate::course::Service;

pub const CONFIG_FILE: &str = "backlings.toml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicesConfig {
    /// Each service's container image: its variable (BACKLINGS_<SERVICE>_IMAGE), else the
    /// file's `<service>_image`, else the service's default.
    images: BTreeMap<Service, String>,
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
struct FileServices {
    provider: Option<ProviderKind>,
    /// `<service>_image = "…"` for any service; other keys are refused in `images()`.
    #[serde(flatten)]
    images: BTreeMap<String, toml::Value>,
}

impl FileServices {
    /// The images the file names, by service; a key that names no service is an error.
    fn images(&self, path: &Path) -> anyhow::Result<BTreeMap<Service, String>> {
        let mut out = BTreeMap::new();
        for (key, value) in &self.images {
            let service = kinds::all()
                .map(|k| k.service())
                .find(|s| key.strip_suffix("_image") == Some(s.as_str()));
            let (Some(service), Some(image)) = (service, value.as_str()) else {
                let known: Vec<String> = std::iter::once("provider".to_owned())
                    .chain(Service::ALL.iter().map(|s| format!("{}_image", s.as_str())))
                    .collect();
                anyhow::bail!(
                    "{}: `{key}` in [services] is not a setting (or not a string); the settings are {}",
                    path.display(),
                    known.join(", ")
                );
            };
            out.insert(service, image.to_owned());
        }
        Ok(out)
    }
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
        let mut from_file = file.services.images(&course_root.join(CONFIG_FILE))?;
        let images = kinds::all()
            .map(|k| {
                let image = env(k.image_var())
                    .or_else(|| from_file.remove(&k.service()))
                    .unwrap_or_else(|| k.default_image().to_owned());
                (k.service(), image)
            })
            .collect();
        Ok(ServicesConfig {
            images,
            provider: file.services.provider,
        })
    }

    /// The container image for `service`.
    pub fn image(&self, service: Service) -> &str {
        self.images
            .get(&service)
            .map_or_else(|| kinds::of(service).default_image(), String::as_str)
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

        std::fs::write(&file, "[services]\nnats_image = \"local/nats:2.9\"\n").unwrap();
        let config = ServicesConfig::load(dir.path()).unwrap();
        assert_eq!(config.image(Service::Nats), "local/nats:2.9");
        std::fs::write(&file, "[services]\nmysql_image = \"mysql\"\n").unwrap();
        let err = ServicesConfig::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("mysql_image") && err.contains("nats_image"),
            "{err}"
        );
    }
}
