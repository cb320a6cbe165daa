//! `duroxide tree ID`: an instance and its sub-orchestrations.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::{print_json, with_parsed_output};
use crate::engine::shapes::Instance;
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

fn print_node(nodes: &[Instance], id: &str, prefix: &str, last: bool, root: bool) {
    let node = nodes.iter().find(|n| n.instance_id == id);
    let label = node.map(|n| format!("{id}  {}  {}", n.orchestration_name, n.status)).unwrap_or_else(|| id.to_string());
    let (branch, next_prefix) = match (root, last) {
        (true, _) => ("", String::new()),
        (false, true) => ("└─ ", format!("{prefix}   ")),
        (false, false) => ("├─ ", format!("{prefix}│  ")),
    };
    println!("{prefix}{branch}{label}");
    let children: Vec<&Instance> = nodes.iter().filter(|n| n.parent_instance_id.as_deref() == Some(id)).collect();
    for (i, child) in children.iter().enumerate() {
        print_node(nodes, &child.instance_id, &next_prefix, i + 1 == children.len(), false);
    }
}

pub fn run(args: TreeArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        instance::started_status(&client, &args.id).await?;
        let tree = client.tree(&args.id).await.map_err(Failure::Failed)?;
        let mut nodes = Vec::new();
        for id in &tree.all_ids {
            if let Ok(info) = client.instance(id).await {
                nodes.push(info);
            }
        }
        if args.json {
            let instances: Vec<_> = nodes.iter().map(with_parsed_output).collect();
            print_json(&json!({"rootId": tree.root_id, "size": tree.size, "instances": instances}));
        } else {
            print_node(&nodes, &args.id, "", true, true);
        }
        Ok(0)
    })
}
