//! `duroxide list`: instances in a store.

use clap::Args;
use serde_json::{json, Value};

use super::args::{block_on, StoreArgs};
use super::output::{print_json, print_table, text, time};
use crate::engine::client;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide list\n  duroxide list --status Failed --json")]
pub struct ListArgs {
    /// Only instances with this status: Running, Completed, Failed, ContinuedAsNew
    #[arg(long)]
    pub status: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: ListArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let store = store.open_existing().await?;
        let ids = match &args.status {
            Some(s) => client::call(store.clone(), "listInstancesByStatus", &[json!(s)]).await,
            None => client::call(store.clone(), "listAllInstances", &[]).await,
        }
        .map_err(Failure::Failed)?;
        let mut infos = Vec::new();
        for id in ids.as_array().cloned().unwrap_or_default() {
            if let Ok(info) = client::call(store.clone(), "getInstanceInfo", &[id]).await {
                infos.push(super::output::parsed_output(info));
            }
        }
        infos.sort_by_key(|i| (i["createdAt"].as_i64().unwrap_or(0), text(&i["instanceId"])));
        if args.json {
            print_json(&Value::Array(infos));
        } else if infos.is_empty() {
            println!("no instances");
        } else {
            let rows: Vec<Vec<String>> = infos
                .iter()
                .map(|i| {
                    vec![
                        text(&i["instanceId"]),
                        text(&i["orchestrationName"]),
                        text(&i["orchestrationVersion"]),
                        text(&i["status"]),
                        text(&i["currentExecutionId"]),
                        time(&i["updatedAt"]),
                    ]
                })
                .collect();
            print_table(&["INSTANCE", "ORCHESTRATION", "VERSION", "STATUS", "EXECUTION", "UPDATED"], &rows);
        }
        Ok(0)
    })
}
