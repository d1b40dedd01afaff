//! Service settings: defaults, overridden by `[services]` in the course's `backlings.toml`,
//! overridden by environment variables.

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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServices {
    postgres_image: Option<String>,
    redis_image: Option<String>,
    provider: Option<ProviderKind>,
}

impl ServicesConfig {
    pub fn load(course_root: &Path) -> anyhow::Result<ServicesConfig> {
        let path = course_root.join(CONFIG_FILE);
        let file: File = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!(
                    "{}: {}",
                    path.display(),
                    e.message().trim().replace('\n', " ")
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File::default(),
            Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
        };
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
