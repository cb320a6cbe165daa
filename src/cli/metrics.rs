//! `duroxide metrics`: counts and queue depths of a store.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::output::{print_fields, print_json};
use crate::failure::Failure;
use crate::host::watchdog::human;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide metrics\n  duroxide metrics --json")]
pub struct MetricsArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: MetricsArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        let system = client.system_metrics().await.map_err(Failure::Failed)?;
        let queues = client.queue_depths().await.map_err(Failure::Failed)?;
        let in_flight = client.in_flight().await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!({"system": system, "queues": queues, "inFlight": in_flight}));
        } else {
            print_fields(&[
                ("instances", system.total_instances.to_string()),
                ("running", system.running_instances.to_string()),
                ("completed", system.completed_instances.to_string()),
                ("failed", system.failed_instances.to_string()),
                ("executions", system.total_executions.to_string()),
                ("events", system.total_events.to_string()),
                ("orchestrator queue", queues.orchestrator_queue.to_string()),
                ("worker queue", queues.worker_queue.to_string()),
                ("timer queue", queues.timer_queue.to_string()),
                ("activities running", in_flight.len().to_string()),
            ]);
            for activity in &in_flight {
                println!(
                    "  {} of {} (attempt {}, lock held {} more)",
                    activity.activity_name,
                    activity.instance_id,
                    activity.attempt,
                    human(std::time::Duration::from_millis(activity.lock_expires_in_ms.max(0) as u64))
                );
            }
        }
        Ok(0)
    })
}
