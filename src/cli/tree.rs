//! `duroxide tree ID`: an instance and its sub-orchestrations.

use clap::Args;
use serde_json::{json, Value};

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::{print_json, text};
use crate::engine::client;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide tree order-42")]
pub struct TreeArgs {
    /// Root instance id
    pub id: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

fn print_node(nodes: &[Value], id: &str, prefix: &str, last: bool, root: bool) {
    let node = nodes.iter().find(|n| n["instanceId"] == id);
    let label = node
        .map(|n| format!("{id}  {}  {}", text(&n["orchestrationName"]), text(&n["status"])))
        .unwrap_or_else(|| id.to_string());
    let (branch, next_prefix) = match (root, last) {
        (true, _) => ("", String::new()),
        (false, true) => ("└─ ", format!("{prefix}   ")),
        (false, false) => ("├─ ", format!("{prefix}│  ")),
    };
    println!("{prefix}{branch}{label}");
    let children: Vec<&Value> = nodes.iter().filter(|n| n["parentInstanceId"] == id).collect();
    for (i, child) in children.iter().enumerate() {
        print_node(nodes, child["instanceId"].as_str().unwrap_or(""), &next_prefix, i + 1 == children.len(), false);
    }
}

pub fn run(args: TreeArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let store = store.open_existing().await?;
        instance::existing_status(&store, &args.id).await?;
        let tree = client::call(store.clone(), "getInstanceTree", &[json!(args.id)]).await.map_err(Failure::Failed)?;
        let mut nodes = Vec::new();
        for id in tree["allIds"].as_array().cloned().unwrap_or_default() {
            if let Ok(info) = client::call(store.clone(), "getInstanceInfo", &[id]).await {
                nodes.push(super::output::parsed_output(info));
            }
        }
        if args.json {
            print_json(&json!({"rootId": tree["rootId"], "size": tree["size"], "instances": nodes}));
        } else {
            print_node(&nodes, &args.id, "", true, true);
        }
        Ok(0)
    })
}
