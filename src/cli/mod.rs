//! The command line: `run` for JavaScript, management verbs for stores.

mod args;
mod cancel;
mod completions;
mod delete;
mod events;
mod history;
mod init;
mod instance;
mod list;
mod metrics;
mod output;
mod progress;
mod prune;
mod replay;
mod run;
mod serve;
mod signals;
mod start;
mod status;
mod test;
mod tree;
mod types;
mod ui;
mod version;

use clap::{Parser, Subcommand};

use crate::failure::Failure;

#[derive(Parser)]
#[command(
    name = "duroxide",
    version = version::text(),
    about = "Durable JavaScript workflows in one binary",
    propagate_version = true,
    after_help = "\
Examples:
  duroxide run app.js                              run an SDK script
  duroxide run workflows.js                        serve a workflow module as a worker
  duroxide run job.js --start Nightly --id n-1     run one long job; rerun to resume it
  duroxide status n-1                              management verbs need no JavaScript
  duroxide history n-1 --json
  duroxide ui                                      the dashboard and HTTP API on http://127.0.0.1:8233/

The store is sqlite:./duroxide.db unless --store or DUROXIDE_STORE says otherwise."
)]
pub struct Cli {
    #[command(flatten)]
    store: args::StoreArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script, serve a workflow module, or run one job with --start
    Run(run::RunArgs),
    /// Start an orchestration instance
    Start(start::StartArgs),
    /// Show an instance's status
    Status(status::StatusArgs),
    /// Wait for an instance to finish and print its output
    Wait(status::WaitArgs),
    /// Raise an event on an instance
    Raise(events::RaiseArgs),
    /// Put a message on an instance's queue
    Enqueue(events::EnqueueArgs),
    /// Cancel an instance
    Cancel(cancel::CancelArgs),
    /// List instances
    List(list::ListArgs),
    /// Show an execution's history as a timeline
    History(history::HistoryArgs),
    /// Show an instance and its sub-orchestrations
    Tree(tree::TreeArgs),
    /// Delete an instance and its data
    Delete(delete::DeleteArgs),
    /// Delete old executions
    Prune(prune::PruneArgs),
    /// Show counts and queue depths
    Metrics(metrics::MetricsArgs),
    /// Run test files (*.test.js, *.test.mjs, *.test.ts)
    Test(test::TestArgs),
    /// Replay recorded histories through a workflow module's current code (nondeterminism check)
    Replay(replay::ReplayArgs),
    /// Serve the dashboard and HTTP API for a store
    Ui(ui::UiArgs),
    /// Print shell completions
    Completions(completions::CompletionsArgs),
    /// Print the TypeScript declarations of the `duroxide` module
    Types(types::TypesArgs),
    /// Create a TypeScript project to start from
    Init(init::InitArgs),
}

/// Parses the command line, runs the verb, returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Run(_)) {
        quiet_on_closed_pipe();
    }
    let store = &cli.store;
    let result: Result<i32, Failure> = match cli.command {
        Command::Run(a) => run::run(a, store),
        Command::Start(a) => start::run(a, store),
        Command::Status(a) => status::status(a, store),
        Command::Wait(a) => status::wait(a, store),
        Command::Raise(a) => events::raise(a, store),
        Command::Enqueue(a) => events::enqueue(a, store),
        Command::Cancel(a) => cancel::run(a, store),
        Command::List(a) => list::run(a, store),
        Command::History(a) => history::run(a, store),
        Command::Tree(a) => tree::run(a, store),
        Command::Delete(a) => delete::run(a, store),
        Command::Prune(a) => prune::run(a, store),
        Command::Metrics(a) => metrics::run(a, store),
        Command::Ui(a) => ui::run(a, store),
        Command::Test(a) => test::run(a),
        Command::Replay(a) => replay::run(a, store),
        Command::Completions(a) => Ok(completions::run(a)),
        Command::Types(a) => Ok(types::run(a)),
        Command::Init(a) => init::run(a),
    };
    result.unwrap_or_else(|failure| {
        eprintln!("error: {}", explain(failure.message(), store));
        failure.exit_code()
    })
}

/// A failure that comes from a damaged SQLite store says so, with its path.
fn explain(message: &str, store: &args::StoreArgs) -> String {
    use crate::engine::store::{parse_location, sqlite_damage, Location, SqliteTarget};
    match parse_location(&store.store) {
        Ok(Location::Sqlite(SqliteTarget::File(path))) => sqlite_damage::describe(message, &path).unwrap_or_else(|| message.to_string()),
        _ => message.to_string(),
    }
}

/// A management verb whose reader went away (`duroxide list | head`) ends
/// quietly, as Unix tools do: Rust ignores SIGPIPE, which turns the next
/// print into a panic. `run` keeps ignoring it: a worker must not die
/// because whoever read its output did.
fn quiet_on_closed_pipe() {
    // SAFETY: restores the default disposition of one signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
