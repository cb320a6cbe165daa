//! `duroxide prune`: delete old executions (continue-as-new leaves them behind).

use clap::Args;
use serde_json::json;

use super::args::{block_on, parse_duration, StoreArgs};
use super::output::print_json;
use crate::engine::shapes::{Filter, Prune};
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide prune monitor-1 --keep-last 3\n  duroxide prune --all --older-than 7d")]
pub struct PruneArgs {
    /// Instance id (or --all)
    pub id: Option<String>,
    /// Prune every instance
    #[arg(long, conflicts_with = "id")]
    pub all: bool,
    /// Keep this many most recent executions
    #[arg(long)]
    pub keep_last: Option<u32>,
    /// Only executions that completed longer ago than this (e.g. 7d, 12h)
    #[arg(long, value_parser = parse_duration)]
    pub older_than: Option<std::time::Duration>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: PruneArgs, store: &StoreArgs) -> Result<i32, Failure> {
    if args.id.is_none() && !args.all {
        return Err(Failure::Usage("prune needs an instance id or --all".into()));
    }
    if args.keep_last.is_none() && args.older_than.is_none() {
        return Err(Failure::Usage("prune needs --keep-last N and/or --older-than DURATION".into()));
    }
    let cutoff = args.older_than.map(|d| (chrono::Utc::now().timestamp_millis() - d.as_millis() as i64).max(0) as u64);
    let options = Prune { keep_last: args.keep_last, completed_before: cutoff };
    block_on(async {
        let client = store.client().await?;
        let r = match &args.id {
            Some(id) => {
                super::instance::started_status(&client, id).await?;
                client.prune(id, options).await
            }
            None => client.prune_bulk(Filter::default(), options).await,
        }
        .map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!(r));
        } else {
            println!(
                "pruned {} execution(s) ({} event(s)) from {} instance(s)",
                r.executions_deleted, r.events_deleted, r.instances_processed
            );
        }
        Ok(0)
    })
}
