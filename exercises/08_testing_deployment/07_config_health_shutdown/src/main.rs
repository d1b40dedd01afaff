//! The service's binary: load the configuration (and stop at once if it is wrong), then serve
//! until a signal says stop. Given; the work is in lib.rs.

use std::collections::BTreeMap;
use std::process::ExitCode;

use config_health_shutdown::{Config, serve};

fn main() -> ExitCode {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let config = match Config::load(&env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
