//! Entry point of the `spur-all-in-one` binary: runs the library and maps its result to an exit code.

fn main() -> std::process::ExitCode {
    match spur_all_in_one::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spur-all-in-one: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
