//! Entry point of `spur-ingester`: the ingester process, or `spur-ingester replay` (see
//! `spur_ingester::app`).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    spur_ingester::app::main(spur_config::Program {
        name: "spur-ingester",
        about: "Drains the Kafka span topic into storage at least once; `spur-ingester replay --help` re-drains a window of it",
    })
}
