//! `duroxide status ID` and `duroxide wait ID`.

use clap::Args;

use super::args::{block_on, parse_duration, StoreArgs};
use super::instance;
use super::output::print_json;
use crate::engine::documents;
use crate::failure::Failure;

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide status order-42\n  duroxide status order-42 --json | jq .output")]
pub struct StatusArgs {
    /// Instance id
    pub id: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
#[command(after_help = "Examples:\n  duroxide wait order-42\n  duroxide wait order-42 --timeout 5m --json")]
pub struct WaitArgs {
    /// Instance id
    pub id: String,
    /// Give up after this long (e.g. 30s, 5m); default: wait as long as it takes
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn status(args: StatusArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        if args.json {
            let (s, document) = documents::status_document(&client, &args.id).await.map_err(instance::failure)?;
            print_json(&document);
            return Ok(if s.is_failed() { 1 } else { 0 });
        }
        let s = instance::existing_status(&client, &args.id).await?;
        let info = if s.queued.is_some() { None } else { client.instance(&args.id).await.ok() };
        instance::print_status(&args.id, &s, info.as_ref());
        Ok(if s.is_failed() { 1 } else { 0 })
    })
}

pub fn wait(args: WaitArgs, store: &StoreArgs) -> Result<i32, Failure> {
    block_on(async {
        let client = store.client().await?;
        let s = instance::wait(&client, &args.id, args.timeout).await?;
        Ok(instance::report_outcome(&args.id, &s, args.json))
    })
}
