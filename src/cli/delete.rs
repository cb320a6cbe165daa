//! `duroxide delete ID`.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::print_json;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide delete order-42\n  duroxide delete stuck-1 --force   # also deletes a running instance")]
pub struct DeleteArgs {
    /// Instance id (a root instance; its sub-orchestrations go with it)
    pub id: String,
    /// Delete even if it is still running
    #[arg(long)]
    pub force: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: DeleteArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        if client.delete_pending(&args.id).await.map_err(Failure::Failed)? {
            if args.json {
                print_json(&json!({"instanceId": args.id, "pendingStartDeleted": true}));
            } else {
                println!("deleted the pending start of '{}': it will not run", args.id);
            }
            return Ok(0);
        }
        let s = instance::existing_status(&client, &args.id).await?;
        if !args.force && !s.is_terminal() {
            return Err(Failure::Failed(format!("instance '{}' is still running; add --force to delete it anyway", args.id)));
        }
        let r = client.delete(&args.id, args.force).await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&json!(r));
        } else {
            println!(
                "deleted {} instance(s), {} execution(s), {} event(s), {} queued message(s)",
                r.instances_deleted, r.executions_deleted, r.events_deleted, r.queue_messages_deleted
            );
        }
        Ok(0)
    })
}
