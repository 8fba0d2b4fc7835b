//! Entry point of the `spur-query` binary: runs the library and maps its result to an exit code.

fn main() -> std::process::ExitCode {
    match spur_query::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-query: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
