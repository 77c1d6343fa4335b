// mimalloc instead of glibc's malloc: the server allocates many short-lived
// buffers on many threads, where glibc's per-thread arenas grow and fragment
// (bench/RESULTS.md has the before and after).
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    motto::server::cli::main()
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The WASM bundle has no entry point of its own: see `motto::hydrate`.
}
