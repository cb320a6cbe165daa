//! `duroxide delete ID`.

use clap::Args;
use serde_json::json;

use super::args::{block_on, StoreArgs};
use super::instance;
use super::output::print_json;
use crate::engine::client;
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
        let store = store.open_existing().await?;
        let s = instance::existing_status(&store, &args.id).await?;
        if !args.force && !instance::is_terminal(&s) {
            return Err(Failure::Failed(format!("instance '{}' is still running; add --force to delete it anyway", args.id)));
        }
        let r = client::call(store, "deleteInstance", &[json!(args.id), json!(args.force)]).await.map_err(Failure::Failed)?;
        if args.json {
            print_json(&r);
        } else {
            println!(
                "deleted {} instance(s), {} execution(s), {} event(s), {} queued message(s)",
                r["instancesDeleted"], r["executionsDeleted"], r["eventsDeleted"], r["queueMessagesDeleted"]
            );
        }
        Ok(0)
    })
}
