//! Entry point of `spur-all-in-one`: for now the collector's receivers (every port of
//! `spur-collector`) writing to the **embedded store** unless `SPAN_STORAGE_TYPE` says
//! otherwise; the agent's UDP receivers and the query API and UI join this process with their
//! issues.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    spur_collector::app::main(
        spur_config::Program {
            name: "spur-all-in-one",
            about: "Spur in one process: every collector receiver on the embedded store \
                    (query API and UI, agent UDP: to come)",
        },
        spur_storage_factory::StorageKind::Embedded,
    )
}
