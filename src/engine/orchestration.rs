//! Orchestration handler: steps the JS generator synchronously inside
//! duroxide's poll and turns each yielded descriptor into durable futures.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use duroxide::OrchestrationContext;
use serde::Deserialize;

use super::tasks::{self, Task};
use crate::host::{self, Arg};

thread_local! {
    /// Live contexts by token, for the synchronous ctx calls JS makes mid-step.
    static CONTEXTS: RefCell<HashMap<u32, OrchestrationContext>> = RefCell::new(HashMap::new());
}

static NEXT_TOKEN: AtomicU32 = AtomicU32::new(1);

/// What one generator step produced (see js/driver.js, `stepResult`).
#[derive(Deserialize)]
#[serde(tag = "s")]
enum Step {
    #[serde(rename = "y")]
    Yielded { t: Task },
    #[serde(rename = "c")]
    Completed { o: String },
    #[serde(rename = "e")]
    Failed { m: String },
}

fn parse_step(text: Result<String, String>) -> Result<Step, String> {
    let text = text?;
    serde_json::from_str(&text).map_err(|e| format!("internal error: malformed generator step ({e}): {text}"))
}

/// The generator and its context live exactly as long as the handler future:
/// duroxide drops the future at the end of every turn.
struct Session(u32);

impl Drop for Session {
    fn drop(&mut self) {
        CONTEXTS.with(|c| c.borrow_mut().remove(&self.0));
        let _ = host::call_hook(|h| &h.dispose_generator, &[Arg::Num(self.0 as f64)]);
    }
}

pub async fn invoke(runtime: u32, ctx: OrchestrationContext, input: String) -> Result<String, String> {
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    CONTEXTS.with(|c| c.borrow_mut().insert(token, ctx.clone()));
    let _session = Session(token);
    let info = serde_json::json!({
        "instanceId": ctx.instance_id(),
        "executionId": ctx.execution_id(),
        "orchestrationName": ctx.orchestration_name(),
        "orchestrationVersion": ctx.orchestration_version(),
    })
    .to_string();
    let mut step = parse_step(host::call_hook(
        |h| &h.create_generator,
        &[Arg::Num(runtime as f64), Arg::Str(&info), Arg::Str(&input), Arg::Num(token as f64)],
    ))?;
    loop {
        match step {
            Step::Completed { o } => return Ok(o),
            Step::Failed { m } => return Err(m),
            Step::Yielded { t } => {
                let (is_error, payload) = match tasks::run(&ctx, t).await {
                    Ok(value) => (false, value),
                    Err(message) => (true, message),
                };
                step = parse_step(host::call_hook(
                    |h| &h.step_generator,
                    &[Arg::Num(token as f64), Arg::Bool(is_error), Arg::Str(&payload)],
                ))?;
            }
        }
    }
}

/// Runs `f` with the context of the generator identified by `token`.
pub fn with_context<R>(token: u32, f: impl FnOnce(&OrchestrationContext) -> R) -> Result<R, String> {
    CONTEXTS.with(|c| {
        c.borrow()
            .get(&token)
            .map(f)
            .ok_or_else(|| "this orchestration context is no longer active (used outside its generator?)".to_string())
    })
}

/// Where the instance's generator last yielded (`path:line:column`), from the
/// most recent turn that ran on this host.
pub fn last_yield_site(instance: &str) -> Option<String> {
    host::call_hook(|h| &h.yield_site, &[Arg::Str(instance)]).ok().filter(|s| !s.is_empty())
}
