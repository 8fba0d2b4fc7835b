//! Entry point of `spur-query`: the query process (see `spur_query::app`), with Jaeger's
//! default backend when `SPAN_STORAGE_TYPE` is unset.

fn main() -> std::process::ExitCode {
    spur_query::app::main(
        spur_config::Program {
            name: "spur-query",
            about: "Jaeger-compatible query API (HTTP JSON and gRPC) over any storage backend",
        },
        spur_storage_factory::env::DEFAULT_KIND,
    )
}
