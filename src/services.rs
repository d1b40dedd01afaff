//! Services (Postgres, Redis) for integration exercises. An exercise lists what it needs in
//! info.toml; the runner asks this layer for the environment (DATABASE_URL, REDIS_URL) to run it
//! with.

use crate::manifest::{ExerciseInfo, Service};

#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    #[error("{0}")]
    Unavailable(String),
}

/// Where service URLs come from.
pub trait Provider: Send {
    fn name(&self) -> &'static str;
    /// A URL at which `service` is reachable, starting it if this provider starts things.
    fn url(&mut self, service: Service) -> Result<String, ServicesError>;
}

/// URLs the learner gives through DATABASE_URL / REDIS_URL.
pub struct External;

impl Provider for External {
    fn name(&self) -> &'static str {
        "external"
    }

    fn url(&mut self, service: Service) -> Result<String, ServicesError> {
        match std::env::var(service.env_var()) {
            Ok(url) if !url.is_empty() => Ok(url),
            _ => Err(ServicesError::Unavailable(format!(
                "this exercise needs {}: set {}={} and run it again",
                service.as_str(),
                service.env_var(),
                example_url(service)
            ))),
        }
    }
}

fn example_url(service: Service) -> &'static str {
    match service {
        Service::Postgres => "postgres://user:password@127.0.0.1:5432/backlings",
        Service::Redis => "redis://127.0.0.1:6379",
    }
}

pub struct Services {
    provider: Box<dyn Provider>,
}

impl Default for Services {
    fn default() -> Self {
        Services {
            provider: Box::new(External),
        }
    }
}

impl Services {
    /// The environment an exercise runs with; empty for exercises that need no service.
    pub fn env_for(&mut self, ex: &ExerciseInfo) -> Result<Vec<(String, String)>, ServicesError> {
        let mut env = Vec::new();
        for &service in &ex.services {
            env.push((service.env_var().to_owned(), self.provider.url(service)?));
        }
        Ok(env)
    }

    pub fn provider_name(&self) -> &'static str {
        self.provider.name()
    }
}
