//! `duroxide list`: instances in a store.

use clap::Args;
use serde_json::{json, Value};

use super::args::{block_on, StoreArgs};
use super::output::{print_json, print_table, time, with_parsed_output};
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide list\n  duroxide list --status Failed --json\n  duroxide list --status Pending     # started, not yet taken by a worker")]
pub struct ListArgs {
    /// Only instances with this status (Pending: started, not yet taken by a worker)
    #[arg(long, value_parser = ["Pending", "Running", "Completed", "Failed", "ContinuedAsNew"])]
    pub status: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ListArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        let wanted = args.status.as_deref();
        let pending = match wanted {
            None | Some("Pending") => client.queued_starts().await.map_err(Failure::Failed)?,
            Some(_) => Vec::new(),
        };
        let mut infos = Vec::new();
        if wanted != Some("Pending") {
            for id in client.instances(wanted).await.map_err(Failure::Failed)? {
                if let Ok(info) = client.instance(&id).await {
                    infos.push(info);
                }
            }
        }
        infos.sort_by(|a, b| (a.created_at, &a.instance_id).cmp(&(b.created_at, &b.instance_id)));
        if args.json {
            let started = infos.iter().map(with_parsed_output);
            let queued = pending.iter().map(|start| {
                json!({
                    "instanceId": start.instance_id,
                    "orchestrationName": start.orchestration_name,
                    "orchestrationVersion": start.orchestration_version,
                    "status": "Pending",
                    "queued": start,
                })
            });
            print_json(&Value::Array(queued.chain(started).collect()));
        } else if infos.is_empty() && pending.is_empty() {
            println!("no instances");
        } else {
            let queued = pending.iter().map(|start| {
                let version = start.orchestration_version.clone().unwrap_or_else(|| "latest".into());
                vec![start.instance_id.clone(), start.orchestration_name.clone(), version, "Pending".into(), "-".into(), "-".into()]
            });
            let started = infos.iter().map(|i| {
                vec![
                    i.instance_id.clone(),
                    i.orchestration_name.clone(),
                    i.orchestration_version.clone(),
                    i.status.clone(),
                    i.current_execution_id.to_string(),
                    time(i.updated_at),
                ]
            });
            let rows: Vec<Vec<String>> = queued.chain(started).collect();
            print_table(&["INSTANCE", "ORCHESTRATION", "VERSION", "STATUS", "EXECUTION", "UPDATED"], &rows);
        }
        Ok(0)
    })
}
