//! `duroxide start NAME`: start an orchestration instance in a store.

use clap::Args;
use serde_json::json;

use super::args::{block_on, json_arg, StoreArgs};
use super::instance;
use super::output::print_json;
use crate::engine::client::check_start;
use crate::failure::Failure;

#[derive(Args)]
#[command(
    after_help = "Examples:\n  duroxide start GreetWorkflow --input '{\"name\":\"Ann\"}' --id greet-1\n  ID=$(duroxide start Nightly)   # prints the instance id"
)]
pub struct StartArgs {
    /// Orchestration name
    pub name: String,
    /// Input as JSON
    #[arg(long)]
    pub input: Option<String>,
    /// Instance id (default: NAME-<random>)
    #[arg(long)]
    pub id: Option<String>,
    /// Orchestration version (default: the latest a worker has registered)
    #[arg(long)]
    pub version: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub use crate::engine::client::generated_id;

pub fn run(args: StartArgs, store: &StoreArgs) -> Result<i32, Failure> {
    let input = json_arg("--input", args.input.as_deref())?;
    let id = args.id.clone().unwrap_or_else(|| generated_id(&args.name));
    check_start(&id, &args.name, args.version.as_deref()).map_err(Failure::Usage)?;
    block_on(async {
        let client = store.client().await?;
        let existing = instance::status(&client, &id).await?;
        if existing.is_found() {
            return Err(Failure::Failed(format!("instance '{id}' already exists ({})", existing.status)));
        }
        client.start(&id, &args.name, input, args.version.as_deref()).await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!({"instanceId": id, "orchestration": args.name, "version": args.version}));
        } else {
            println!("{id}");
        }
        Ok(0)
    })
}
