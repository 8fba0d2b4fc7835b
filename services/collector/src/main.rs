//! Entry point of the `spur-collector` binary: runs the library and maps its result to an exit code.

fn main() -> std::process::ExitCode {
    match spur_collector::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-collector: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
