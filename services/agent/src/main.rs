//! Entry point of the `spur-agent` binary: runs the library and maps its result to an exit code.

fn main() -> std::process::ExitCode {
    match spur_agent::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-agent: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
