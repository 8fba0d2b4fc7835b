//! Generates Rust types from `proto/`: Jaeger's api_v2 (messages, gRPC clients and servers, and
//! proto3-JSON serde impls for the Kafka `json` encoding) and Zipkin's v2 protobuf model.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs (not baked in when it is compiled), so a build script shared
    // through one target directory by two checkouts finds this checkout's protos.
    let proto_root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let protoc_include = protoc_bin_vendored::include_path()?;

    let api_v2 = ["model", "collector", "query", "sampling"]
        .map(|name| proto_root.join(format!("api_v2/{name}.proto")));
    for file in &api_v2 {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = out_dir.join("api_v2_descriptors.bin");

    let mut config = prost_build::Config::new();
    config.protoc_executable(&protoc);
    config
        .file_descriptor_set_path(&descriptors)
        .extern_path(".google.protobuf.Timestamp", "crate::wkt::Timestamp")
        .extern_path(".google.protobuf.Duration", "crate::wkt::Duration");
    tonic_prost_build::configure().compile_with_config(
        config,
        &api_v2,
        &[proto_root.clone(), protoc_include.clone()],
    )?;

    let descriptor_set = std::fs::read(&descriptors)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_set)?
        .build(&[".jaeger.api_v2"])?;

    let zipkin = proto_root.join("zipkin/zipkin.proto");
    println!("cargo:rerun-if-changed={}", zipkin.display());
    let mut config = prost_build::Config::new();
    config.protoc_executable(&protoc);
    config.compile_protos(&[zipkin], &[proto_root, protoc_include])?;
    Ok(())
}
