//! `duroxide raise ID EVENT` and `duroxide enqueue ID QUEUE`.

use clap::Args;
use serde_json::json;

use super::args::{block_on, json_arg, StoreArgs};
use super::instance;
use super::output::print_json;
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

/// Where a message goes.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Event,
    Queue,
}

/// Raises an event or enqueues a queue message.
fn deliver(store: &StoreArgs, to: Target, id: &str, target: &str, data: Option<&str>, json_out: bool) -> Result<i32, Failure> {
    let data = json_arg("--data", data)?;
    block_on(async {
        let client = store.client().await?;
        let status = instance::existing_status(&client, id).await?;
        if status.is_terminal() {
            let what = if to == Target::Event { "an event" } else { "a message" };
            return Err(Failure::Failed(format!(
                "instance '{id}' has already {}: {what} sent now would be dropped, so none was sent",
                status.status.to_lowercase()
            )));
        }
        match to {
            Target::Event => client.raise_event(id, target, data.clone()).await,
            Target::Queue => client.enqueue_event(id, target, data.clone()).await,
        }
        .map_err(Failure::Failed)
    })?;
    let what = if to == Target::Event { "event" } else { "queue" };
    if json_out {
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        print_json(&json!({"instanceId": id, what: target, "data": data}));
    } else if to == Target::Event {
        println!("raised '{target}' on {id}");
    } else {
        println!("enqueued on '{target}' of {id}");
    }
    Ok(0)
}

pub fn raise(args: RaiseArgs, store: &StoreArgs) -> Result<i32, Failure> {
    deliver(store, Target::Event, &args.id, &args.event, args.data.as_deref(), args.json)
}

pub fn enqueue(args: EnqueueArgs, store: &StoreArgs) -> Result<i32, Failure> {
    deliver(store, Target::Queue, &args.id, &args.queue, args.data.as_deref(), args.json)
}
