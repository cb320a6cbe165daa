//! `duroxide metrics`: counts and queue depths of a store.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::output::{print_fields, print_json, text};
use crate::engine::client;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide metrics\n  duroxide metrics --json")]
pub struct MetricsArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: MetricsArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let store = store.open_existing().await?;
        let system = client::call(store.clone(), "getSystemMetrics", &[]).await.map_err(Failure::Failed)?;
        let queues = client::call(store, "getQueueDepths", &[]).await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!({"system": system, "queues": queues}));
        } else {
            print_fields(&[
                ("instances", text(&system["totalInstances"])),
                ("running", text(&system["runningInstances"])),
                ("completed", text(&system["completedInstances"])),
                ("failed", text(&system["failedInstances"])),
                ("executions", text(&system["totalExecutions"])),
                ("events", text(&system["totalEvents"])),
                ("orchestrator queue", text(&queues["orchestratorQueue"])),
                ("worker queue", text(&queues["workerQueue"])),
                ("timer queue", text(&queues["timerQueue"])),
            ]);
        }
        Ok(0)
    })
}
