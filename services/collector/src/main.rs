//! Entry point of `spur-collector`: the collector process (see `spur_collector::app`), with
//! Jaeger's default backend when `SPAN_STORAGE_TYPE` is unset.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    spur_collector::app::main(
        spur_config::Program {
            name: "spur-collector",
            about: "Receives spans (Jaeger gRPC/HTTP, Zipkin, OTLP) and writes them to Kafka or storage",
        },
        spur_storage_factory::env::DEFAULT_KIND,
    )
}
