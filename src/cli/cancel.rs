//! `duroxide cancel ID`.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::print_json;
use crate::engine::client;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide cancel order-42 --reason 'customer asked'")]
pub struct CancelArgs {
    /// Instance id
    pub id: String,
    /// Why (recorded in the instance's error)
    #[arg(long, default_value = "cancelled from the command line")]
    pub reason: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CancelArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let store = store.open_existing().await?;
        let s = instance::existing_status(&store, &args.id).await?;
        if instance::is_terminal(&s) {
            return Err(Failure::Failed(format!("instance '{}' already finished ({})", args.id, s["status"].as_str().unwrap_or("?"))));
        }
        client::call(store, "cancelInstance", &[json!(args.id), json!(args.reason)]).await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!({"instanceId": args.id, "cancelRequested": true, "reason": args.reason}));
        } else {
            println!("cancellation requested for {}", args.id);
        }
        Ok(0)
    })
}
