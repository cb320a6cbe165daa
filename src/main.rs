//! `duroxide`: run durable JavaScript workflows on the duroxide runtime.

mod bridge;
mod cli;
mod engine;
mod failure;
mod globals;
mod host;
mod logging;
#[path = "../runtime_ext/mod.rs"]
mod runtime_ext;
mod settings;
mod web;

fn main() {
    logging::init();
    host::set_v8_flags();
    // Must happen on the main thread before any isolate exists (PKU-enabled CPUs crash otherwise).
    deno_core::JsRuntime::init_platform(None, false);
    let code = cli::main();
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
