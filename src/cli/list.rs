//! `duroxide list`: instances in a store.

use clap::Args;
use serde_json::Value;

use super::args::{block_on, StoreArgs};
use super::output::{print_json, print_table, time, with_parsed_output};
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
        let client = store.client().await?;
        let ids = client.instances(args.status.as_deref()).await.map_err(Failure::Failed)?;
        let mut infos = Vec::new();
        for id in ids {
            if let Ok(info) = client.instance(&id).await {
                infos.push(info);
            }
        }
        infos.sort_by(|a, b| (a.created_at, &a.instance_id).cmp(&(b.created_at, &b.instance_id)));
        if args.json {
            print_json(&Value::Array(infos.iter().map(with_parsed_output).collect()));
        } else if infos.is_empty() {
            println!("no instances");
        } else {
            let rows: Vec<Vec<String>> = infos
                .iter()
                .map(|i| {
                    vec![
                        i.instance_id.clone(),
                        i.orchestration_name.clone(),
                        i.orchestration_version.clone(),
                        i.status.clone(),
                        i.current_execution_id.to_string(),
                        time(i.updated_at),
                    ]
                })
                .collect();
            print_table(&["INSTANCE", "ORCHESTRATION", "VERSION", "STATUS", "EXECUTION", "UPDATED"], &rows);
        }
        Ok(0)
    })
}
