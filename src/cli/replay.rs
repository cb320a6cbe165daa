//! `duroxide replay MODULE`: recorded histories (from the store or a file)
//! replayed through the module's current orchestrations, to catch changes
//! that would break running instances before a deploy. Nothing runs but the
//! orchestration code: no activity, no timer, no write.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::StoreArgs;
use super::instance;
use super::output::{print_json, print_line};
use super::run::{self, LimitFlags};
use super::serve::register_exports;
use crate::bridge::replay::{self, Replayed};
use crate::bridge::stores;
use crate::engine::client::Client;
use crate::engine::documents;
use crate::engine::history_file::{self, ExecutionHistory};
use crate::engine::store;
use crate::failure::Failure;
use crate::host;
use crate::runtime_ext::permissions::{Grants, PermissionSets};
use crate::runtime_ext::Startup;

#[derive(Args)]
#[command(after_help = "\
Examples:
  duroxide replay workflows.js --id order-42              one instance from the store (every execution)
  duroxide replay workflows.js --all --status Running --store postgres://app:pw@db/app   what a deploy would replay
  duroxide history order-42 --json --all-executions > order-42.json
  duroxide replay workflows.js --history order-42.json    a recorded history, no store needed

Prints `ID: ok` or `ID: nondeterministic: history has ... vs code ... at FILE:LINE` per instance;
exits 1 if any instance diverged or could not be replayed.")]
pub struct ReplayArgs {
    /// The workflow module (exports orchestrations) whose code replays the histories
    pub module: PathBuf,
    /// Replay this instance's executions from the store (with --history: only this instance of the file, or the instance a bare event array belongs to)
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Print the answers as a JSON array of {instanceId, executionId, ok, outcome, line} (no summary line)
    #[arg(long)]
    pub json: bool,
    /// With --history: the execution a bare event array is (default 1; `history ID --json` prints the latest)
    #[arg(long, value_name = "N", requires = "history", value_parser = clap::value_parser!(u64).range(1..))]
    pub execution: Option<u64>,
    /// Replay every instance in the store
    #[arg(long, conflicts_with_all = ["id", "history"])]
    pub all: bool,
    /// With --all: only instances with this status (Running: those a deploy of new code would replay)
    #[arg(long, requires = "all", value_parser = ["Running", "Completed", "Failed"])]
    pub status: Option<String>,
    /// Replay a history file written by `duroxide history ID --json [--all-executions]` instead of reading the store
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitFlags,
}

/// Where the histories come from.
enum Source {
    File(Vec<ExecutionHistory>),
    Store(StoreArgs, String),
    /// Every instance, or those with a status.
    WholeStore(StoreArgs, Option<String>),
}

pub fn run(args: ReplayArgs, store: &StoreArgs) -> Result<i32, Failure> {
    let source = match (&args.history, &args.id, args.all) {
        (Some(file), id, _) => Source::File(read_file(file, id.as_deref(), args.execution.unwrap_or(1))?),
        (None, Some(id), _) => Source::Store(store.clone(), id.clone()),
        (None, None, true) => Source::WholeStore(store.clone(), args.status.clone()),
        (None, None, false) => {
            return Err(Failure::Usage("say what to replay: --id ID or --all (from the store), or --history FILE".into()))
        }
    };
    let path = run::main_file(&args.module, "replay")?;
    let bridge = crate::settings::from_env().map_err(Failure::Usage)?;
    host::modules::transpile_cache::configure(crate::settings::typescript_cache_from_env());
    let permissions = PermissionSets::new(&Grants::default()).map_err(Failure::Usage)?;
    let argv = run::argv_of(&path, &[]);
    run::hosted(Startup { argv, bridge, permissions }, args.limits.limits(), replay_all(path, source, args.json))
}

/// The histories of a file; `id` picks one instance of it (or names a bare event array's).
fn read_file(file: &Path, id: Option<&str>, execution: u64) -> Result<Vec<ExecutionHistory>, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", file.display())))?;
    let document = serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("{} is not JSON: {e}", file.display())))?;
    // A bare event array names no instance: the file's name usually does (`history ID --json > ID.json`).
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "replay".into());
    let bare = history_file::BareEvents { instance: id.unwrap_or(&stem), execution };
    let mut histories = history_file::parse(&document, &bare).map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?;
    if let Some(id) = id {
        histories.retain(|h| h.instance == id);
        if histories.is_empty() {
            return Err(Failure::Usage(format!("{} holds no history of instance '{id}'", file.display())));
        }
    }
    Ok(histories)
}

#[derive(Default)]
struct Tally {
    ok: usize,
    diverged: usize,
    not_replayed: usize,
    /// With --json: the answers, printed at the end instead of lines.
    documents: Option<Vec<serde_json::Value>>,
}

async fn replay_all(path: PathBuf, source: Source, json: bool) -> Result<i32, Failure> {
    let exports = run::evaluate_exports(&path).await?;
    if exports.is_empty() {
        return Err(Failure::Usage(format!(
            "{} exports no orchestrations to replay: export const orchestrations = {{ Name: function* (ctx, input) {{ ... }} }}",
            path.display()
        )));
    }
    // The runtime only holds the registrations: an in-memory store, never started.
    let options = stores::options(&host::op_state().map_err(Failure::Failed)?.borrow());
    let scratch = store::open_in_memory(&options).await.map_err(Failure::Failed)?;
    let scratch = stores::add(&mut host::op_state().map_err(Failure::Failed)?.borrow_mut(), scratch);
    let runtime = register_exports(&path, scratch, &serde_json::json!({}))?;

    let mut tally = Tally { documents: json.then(Vec::new), ..Tally::default() };
    match source {
        Source::File(histories) => {
            for instance in replay::group_by_instance(histories) {
                report(runtime, &instance, &mut tally)?;
            }
        }
        Source::Store(store, id) => {
            let client = store.client().await?;
            documents::started_status(&client, &id).await.map_err(instance::failure)?;
            report(runtime, &from_store(&client, &id).await?, &mut tally)?;
        }
        Source::WholeStore(store, status) => {
            let client = store.client().await?;
            let mut ids = client.instances(status.as_deref()).await.map_err(Failure::Failed)?;
            ids.sort();
            for id in ids {
                report(runtime, &from_store(&client, &id).await?, &mut tally)?;
            }
        }
    }
    match &tally.documents {
        Some(documents) => print_json(&serde_json::Value::Array(documents.clone())),
        None => print_line(&summary(&tally)),
    }
    Ok(if tally.diverged + tally.not_replayed > 0 { 1 } else { 0 })
}

async fn from_store(client: &Client, id: &str) -> Result<Vec<ExecutionHistory>, Failure> {
    let executions = client.all_events(id).await.map_err(Failure::Failed)?;
    Ok(executions
        .into_iter()
        .filter(|(_, events)| !events.is_empty())
        .map(|(execution, events)| ExecutionHistory { instance: id.to_string(), execution, events })
        .collect())
}

/// Replays an instance and prints its line (one with no history yet, a queued start, is left out).
fn report(runtime: u32, executions: &[ExecutionHistory], tally: &mut Tally) -> Result<(), Failure> {
    if executions.is_empty() {
        return Ok(());
    }
    let replayed = replay::replay_instance(runtime, executions).map_err(Failure::Failed)?;
    match tally.documents.as_mut() {
        Some(documents) => documents.push(replayed.document()),
        None => print_line(&replayed.line()),
    }
    match replayed.outcome {
        Replayed::Same => tally.ok += 1,
        Replayed::Diverged(..) => tally.diverged += 1,
        Replayed::NotReplayed(_) => tally.not_replayed += 1,
    }
    Ok(())
}

fn summary(tally: &Tally) -> String {
    let total = tally.ok + tally.diverged + tally.not_replayed;
    let mut text = format!("{total} replayed: {} ok, {} nondeterministic", tally.ok, tally.diverged);
    if tally.not_replayed > 0 {
        text.push_str(&format!(", {} not replayed", tally.not_replayed));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_every_kind_of_answer() {
        let tally = |ok, diverged, not_replayed| Tally { ok, diverged, not_replayed, documents: None };
        assert_eq!(summary(&tally(2, 1, 0)), "3 replayed: 2 ok, 1 nondeterministic");
        assert_eq!(summary(&tally(0, 0, 1)), "1 replayed: 0 ok, 0 nondeterministic, 1 not replayed");
    }
}
