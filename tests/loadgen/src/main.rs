//! `spur-loadgen`: parses flags and runs the library; exit status 0 when spans were acknowledged
//! (or the sample was written), 1 when a load run got no span acknowledged, 2 on bad flags or
//! an unreachable endpoint.

use std::process::ExitCode;

use clap::Parser;
use spur_loadgen::{Cli, Error, Finished, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(Finished::SampleWritten) => ExitCode::SUCCESS,
        Ok(Finished::Load(summary)) if summary.acked_spans > 0 => ExitCode::SUCCESS,
        Ok(Finished::Load(_)) => ExitCode::from(1),
        Err(error @ Error::Runtime(_)) => {
            eprintln!("spur-loadgen: {}", chain(&error));
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("spur-loadgen: {}", chain(&error));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated (tonic's transport error alone says little).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
