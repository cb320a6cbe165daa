//! `duroxide cancel ID`.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::print_json;
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
        let client = store.client().await?;
        let s = instance::existing_status(&client, &args.id).await?;
        if s.is_terminal() {
            return Err(Failure::Failed(format!("instance '{}' already finished ({})", args.id, s.status)));
        }
        client.cancel(&args.id, &args.reason).await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!({"instanceId": args.id, "cancelRequested": true, "reason": args.reason}));
        } else {
            println!("cancellation requested for {}", args.id);
        }
        Ok(0)
    })
}
