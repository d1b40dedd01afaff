//! The external provider: servers the learner runs, given as DATABASE_URL / REDIS_URL.

use std::time::Duration;

use super::{Endpoint, Provider, ServicesError, Source, clients};
use crate::course::Service;

pub fn is_configured(service: Service) -> bool {
    std::env::var(service.env_var()).is_ok_and(|v| !v.trim().is_empty())
}

pub struct External;

impl Provider for External {
    fn start(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        let var = service.env_var();
        let url = std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                ServicesError::Unavailable(format!("--services external needs {var} to be set"))
            })?;
        let reachable = match service {
            Service::Postgres => clients::wait_for_postgres(&url, Duration::from_secs(5)),
            Service::Redis => clients::wait_for_redis(&url, Duration::from_secs(5)),
        };
        reachable.map_err(|e| ServicesError::Unreachable(format!("{var}: {e}")))?;
        Ok(Endpoint {
            url,
            source: Source::External,
        })
    }

    fn stop(&mut self) {}
}
