//! The agent as a process: load the settings (flags, YAML, environment), bind the ports, serve
//! until SIGTERM, and turn the outcome into an exit code (0 clean, 1 failure or spans unsent at
//! shutdown, 2 invalid configuration).

use std::process::ExitCode;

use spur_config::{Problems, Program};

use crate::config::{AgentConfig, SETTINGS};
use crate::server::{Listeners, Services};

pub fn main(program: Program) -> ExitCode {
    let (settings, env) = match spur_config::load_process(program, SETTINGS) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let mut problems = Problems::default();
    let config = AgentConfig::read(&settings, &env, &mut problems);
    if let Err(code) = problems.finish_process(program) {
        return code;
    }
    spur_telemetry::process::run_process(program.name, async move {
        let metrics = spur_telemetry::metrics::install().map_err(anyhow::Error::msg)?;
        let listeners = Listeners::bind(&config).await?;
        let services = Services {
            health: spur_telemetry::health::Health::new(),
            metrics,
        };
        let shutdown = spur_telemetry::shutdown::on_signal();
        let report = crate::server::run(config, services, listeners, shutdown).await?;
        Ok(report.unsent_spans == 0)
    })
}
