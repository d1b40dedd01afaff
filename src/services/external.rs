//! The external provider: servers the learner runs, given as DATABASE_URL / REDIS_URL /
//! NATS_URL.

use std::time::Duration;

use super::{Endpoint, Provider, ServicesError, Source, kinds};
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
        kinds::of(service)
            .wait_ready(&url, Duration::from_secs(5))
            .map_err(|e| ServicesError::Unreachable(format!("{var}: {e}")))?;
        Ok(Endpoint {
            url,
            source: Source::External,
        })
    }

    fn stop(&mut self) {}
}
