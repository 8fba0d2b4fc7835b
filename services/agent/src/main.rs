//! Entry point of `spur-agent`: the agent process (see `spur_agent::app`).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    spur_agent::app::main(spur_config::Program {
        name: "spur-agent",
        about: "Takes spans from Jaeger clients over UDP and forwards them to the collectors over gRPC",
    })
}
