#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    motto::server::cli::main()
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The WASM bundle has no entry point of its own: see `motto::hydrate`.
}
