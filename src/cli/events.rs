//! `duroxide raise ID EVENT` and `duroxide enqueue ID QUEUE`.

use clap::Args;
use serde_json::json;

use super::args::{block_on, json_arg, StoreArgs};
use super::instance;
use super::output::print_json;
use crate::engine::client;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide raise order-42 approved --data '{\"by\":\"ann\"}'")]
pub struct RaiseArgs {
    /// Instance id
    pub id: String,
    /// Event name (what the orchestration waits for with ctx.waitForEvent)
    pub event: String,
    /// Event data as JSON
    #[arg(long)]
    pub data: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide enqueue mailbox-1 inbox --data '\"hello\"'")]
pub struct EnqueueArgs {
    /// Instance id
    pub id: String,
    /// Queue name (what the orchestration reads with ctx.dequeueEvent)
    pub queue: String,
    /// Message as JSON
    #[arg(long)]
    pub data: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

async fn send(store: &StoreArgs, method: &str, id: &str, name: &str, data: &str) -> Result<(), Failure> {
    let store = store.open_existing().await?;
    instance::existing_status(&store, id).await?;
    client::call(store, method, &[json!(id), json!(name), json!(data)]).await.map_err(Failure::Failed)?;
    Ok(())
}

pub fn raise(args: RaiseArgs, store: &StoreArgs) -> Result<i32, Failure> {
    let data = json_arg("--data", args.data.as_deref())?;
    block_on(send(store, "raiseEvent", &args.id, &args.event, &data))?;
    if args.json {
        print_json(&json!({"instanceId": args.id, "event": args.event, "data": serde_json::from_str::<serde_json::Value>(&data).unwrap_or_default()}));
    } else {
        println!("raised '{}' on {}", args.event, args.id);
    }
    Ok(0)
}

pub fn enqueue(args: EnqueueArgs, store: &StoreArgs) -> Result<i32, Failure> {
    let data = json_arg("--data", args.data.as_deref())?;
    block_on(send(store, "enqueueEvent", &args.id, &args.queue, &data))?;
    if args.json {
        print_json(&json!({"instanceId": args.id, "queue": args.queue, "data": serde_json::from_str::<serde_json::Value>(&data).unwrap_or_default()}));
    } else {
        println!("enqueued on '{}' of {}", args.queue, args.id);
    }
    Ok(0)
}
