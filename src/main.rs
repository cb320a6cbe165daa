//! `duroxide`: run durable JavaScript workflows on the duroxide runtime.

mod engine;
mod host;
mod logging;
#[path = "../runtime_ext/mod.rs"]
mod runtime_ext;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "duroxide", version, about = "Durable JavaScript workflows in one binary", propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a workflow script written for the duroxide-node SDK
    #[command(after_help = "Example:\n  duroxide run app.js\n  duroxide run app.js -- --flag value   (arguments reach process.argv)")]
    Run {
        /// The JavaScript file (CommonJS with require('duroxide') or an ES module)
        file: PathBuf,
        /// Arguments passed to the script as process.argv[2..]
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() {
    let cli = Cli::parse();
    logging::init();
    // Must happen on the main thread before any isolate exists (PKU-enabled CPUs crash otherwise).
    deno_core::JsRuntime::init_platform(None, false);
    let code = match cli.command {
        Command::Run { file, args } => match host::script::run(&file, args) {
            Ok(code) => code,
            Err(failure) => {
                eprintln!("error: {}", failure.message());
                failure.exit_code()
            }
        },
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}
