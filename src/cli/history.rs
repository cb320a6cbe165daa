//! `duroxide history ID`: an execution's events as a timeline.

use clap::Args;
use serde_json::{json, Value};

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::{print_json, print_table, short, time};
use crate::engine::documents;
use crate::engine::history::HistoryEvent;
use crate::engine::history_file::InstanceDocument;
use crate::failure::Failure;

#[derive(Args)]
#[command(
    after_help = "Examples:\n  duroxide history order-42\n  duroxide history order-42 --execution 1 --json\n  duroxide history order-42 --json --all-executions > order-42.json   (input of duroxide replay --history)"
)]
pub struct HistoryArgs {
    /// Instance id
    pub id: String,
    /// Execution number (default: the latest)
    #[arg(long)]
    pub execution: Option<u64>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// With --json: every execution, as {instanceId, executions: [{executionId, duroxideVersion, events}]}
    #[arg(long, requires = "json", conflicts_with = "execution")]
    pub all_executions: bool,
}

/// The event's name (activity, timer...) and a short piece of its data.
fn name_and_data(event: &HistoryEvent) -> (String, String) {
    let data: Value = event.data.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null);
    // Completions carry the bare result, which may itself have a "name" field.
    let is_result = matches!(event.kind.as_str(), "ActivityCompleted" | "SubOrchestrationCompleted" | "OrchestrationCompleted");
    if is_result {
        return (String::new(), short(&data, 60));
    }
    let name = data.get("name").and_then(Value::as_str).unwrap_or("").to_string();
    let detail = match &data {
        Value::Object(map) => {
            let key = ["input", "data", "error", "reason", "fireAtMs", "status", "value"].iter().find(|k| map.contains_key(**k));
            match key {
                Some(&"fireAtMs") => format!("fires {}", time(map["fireAtMs"].as_u64().unwrap_or(0))),
                Some(k) => short(&map[*k], 60),
                None => short(&data, 60),
            }
        }
        other => short(other, 60),
    };
    (name, detail)
}

pub fn run(args: HistoryArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        if args.all_executions {
            documents::started_status(&client, &args.id).await.map_err(instance::failure)?;
            let executions = client.all_events(&args.id).await.map_err(Failure::Failed)?;
            print_json(&json!(InstanceDocument::new(&args.id, executions)));
            return Ok(0);
        }
        let (execution, events) = documents::history(&client, &args.id, args.execution).await.map_err(instance::failure)?;
        if args.json {
            print_json(&json!(events));
            return Ok(0);
        }
        println!("{} execution {execution}", args.id);
        let rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| {
                let (name, data) = name_and_data(e);
                let id = match e.source_event_id {
                    Some(src) => format!("{} <-{src}", e.event_id),
                    None => e.event_id.to_string(),
                };
                vec![id, time(e.timestamp_ms), e.kind.clone(), name, data]
            })
            .collect();
        print_table(&["EVENT", "TIME", "KIND", "NAME", "DATA"], &rows);
        Ok(0)
    })
}
