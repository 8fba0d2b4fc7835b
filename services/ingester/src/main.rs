//! Entry point of the `spur-ingester` binary: runs the library and maps its result to an exit code.

fn main() -> std::process::ExitCode {
    match spur_ingester::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-ingester: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
