//! Generates the gRPC code from `proto/inventory.proto` at build time, with protox (a
//! protobuf compiler written in Rust), so that no system `protoc` is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = protox::compile(["proto/inventory.proto"], ["proto"])?;
    tonic_prost_build::configure().compile_fds(files)?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
