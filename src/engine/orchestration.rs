//! Orchestration handler: steps the JS generator synchronously inside
//! duroxide's poll and turns each yielded descriptor into durable futures.
//! A generator suspended at the end of a turn is kept (see generator_cache)
//! and resumed by the next turn of its execution instead of replayed.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};

use duroxide::OrchestrationContext;
use serde::Deserialize;
use serde_json::Value;

use super::context_calls;
use super::generator_cache::{self, Entry, Identity, Kept};
use super::tasks::{self, Outcome, Task};
use crate::host::{self, Arg};

/// The context a generator talks to in the current turn, and its record.
struct Live {
    ctx: OrchestrationContext,
    /// Everything the generator did, when the cache is on.
    log: Option<Vec<Entry>>,
    /// While a fresh generator catches up with this turn: the answers its
    /// synchronous ctx calls already got, in order.
    script: VecDeque<(String, Vec<Value>, Value)>,
}

thread_local! {
    /// Live sessions by generator token, for the synchronous ctx calls JS makes mid-step.
    static LIVE: RefCell<HashMap<u32, Live>> = RefCell::new(HashMap::new());
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

fn with_live<R>(token: u32, f: impl FnOnce(&mut Live) -> R) -> Option<R> {
    LIVE.with(|l| l.borrow_mut().get_mut(&token).map(f))
}

/// One handler invocation (one turn). duroxide drops the handler future at the
/// end of every turn; dropping the session then keeps or disposes the generator.
struct Session {
    token: u32,
    identity: Identity,
    /// True only while awaiting a task the generator is suspended at: the
    /// one state a later turn can resume from.
    resumable: bool,
}

impl Session {
    fn open(token: u32, identity: Identity, ctx: &OrchestrationContext) -> Session {
        let log = (generator_cache::capacity() > 0).then(Vec::new);
        LIVE.with(|l| l.borrow_mut().insert(token, Live { ctx: ctx.clone(), log, script: VecDeque::new() }));
        Session { token, identity, resumable: false }
    }

    fn record(&self, entry: Entry) {
        with_live(self.token, |live| live.log.as_mut().map(|log| log.push(entry)));
    }

    /// Runs a task the generator is waiting for.
    async fn await_task(&mut self, ctx: &OrchestrationContext, task: Task) -> Outcome {
        let ends_execution = matches!(task, Task::ContinueAsNew { .. } | Task::ContinueAsNewVersioned { .. });
        let recording = with_live(self.token, |live| live.log.is_some()).unwrap_or(false);
        if recording {
            self.record(Entry::Yield { task: task.clone(), outcome: None });
        }
        self.resumable = recording && !ends_execution;
        let outcome = tasks::run(ctx, task).await;
        self.resumable = false;
        if recording {
            settle_last_yield(self.token, &outcome);
        }
        outcome
    }

    fn start(&self, runtime: u32, input: &str) -> Result<Step, String> {
        let info = serde_json::json!({
            "instanceId": self.identity.instance,
            "executionId": self.identity.execution,
            "orchestrationName": self.identity.name,
            "orchestrationVersion": self.identity.version,
        })
        .to_string();
        parse_step(host::call_hook(
            |h| &h.create_generator,
            &[Arg::Num(runtime as f64), Arg::Str(&info), Arg::Str(input), Arg::Num(self.token as f64)],
        ))
    }

    fn step(&self, outcome: Outcome) -> Result<Step, String> {
        let (is_error, payload) = match outcome {
            Ok(value) => (false, value),
            Err(message) => (true, message),
        };
        parse_step(host::call_hook(
            |h| &h.step_generator,
            &[Arg::Num(self.token as f64), Arg::Bool(is_error), Arg::Str(&payload)],
        ))
    }
}

/// Records the outcome of the latest yield (calls logged after it, from a
/// ctx used outside its generator, do not move it).
fn settle_last_yield(token: u32, outcome: &Outcome) {
    with_live(token, |live| {
        let latest = live.log.iter_mut().flatten().rev().find_map(|entry| match entry {
            Entry::Yield { outcome: slot, .. } => Some(slot),
            Entry::Call { .. } => None,
        });
        if let Some(slot) = latest {
            *slot = Some(outcome.clone());
        }
    });
}

impl Drop for Session {
    fn drop(&mut self) {
        let live = LIVE.with(|l| l.borrow_mut().remove(&self.token));
        match live.and_then(|live| live.log) {
            Some(log) if self.resumable => {
                generator_cache::keep(Kept { token: self.token, identity: self.identity.clone(), log })
            }
            _ => generator_cache::dispose(self.token),
        }
    }
}

pub async fn invoke(runtime: u32, ctx: OrchestrationContext, input: String) -> Result<String, String> {
    let identity = Identity {
        runtime,
        instance: ctx.instance_id().to_string(),
        execution: ctx.execution_id(),
        name: ctx.orchestration_name().to_string(),
        version: ctx.orchestration_version().to_string(),
        input,
    };
    let kept = if generator_cache::capacity() > 0 { generator_cache::take(&identity) } else { None };
    let (mut session, mut step) = match kept {
        Some(kept) => {
            let mut session = Session::open(kept.token, identity, &ctx);
            let step = resume(&ctx, &mut session, runtime, kept.log).await?;
            (session, step)
        }
        None => {
            let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
            let session = Session::open(token, identity.clone(), &ctx);
            let step = session.start(runtime, &identity.input)?;
            (session, step)
        }
    };
    loop {
        match step {
            Step::Completed { o } => return Ok(o),
            Step::Failed { m } => return Err(m),
            Step::Yielded { t } => {
                let outcome = session.await_task(&ctx, t).await;
                step = session.step(outcome)?;
            }
        }
    }
}

/// Re-issues a kept generator's log to this turn's context. When every
/// outcome matches what the generator saw, it resumes where it stopped;
/// otherwise a fresh generator catches up with this turn's outcomes.
async fn resume(ctx: &OrchestrationContext, session: &mut Session, runtime: u32, log: Vec<Entry>) -> Result<Step, String> {
    for entry in log {
        match entry {
            Entry::Call { method, args, result } => {
                let now = context_calls::dispatch(ctx, &method, &args)?;
                let same = now == result;
                session.record(Entry::Call { method, args, result: now });
                if !same {
                    return catch_up(session, runtime).await;
                }
            }
            Entry::Yield { task, outcome: Some(seen) } => {
                session.record(Entry::Yield { task: task.clone(), outcome: None });
                let now = tasks::run(ctx, task).await;
                settle_last_yield(session.token, &now);
                if now != seen {
                    return catch_up(session, runtime).await;
                }
            }
            Entry::Yield { task, outcome: None } => {
                let outcome = session.await_task(ctx, task).await;
                if generator_cache::replay_check() {
                    return catch_up(session, runtime).await;
                }
                return session.step(outcome);
            }
        }
    }
    Err("internal error: a kept generator was not waiting for a task".to_string())
}

/// Replaces the kept generator with a fresh one and feeds it what this turn
/// has produced so far, checking it asks for the same things; from there it
/// runs live.
async fn catch_up(session: &mut Session, runtime: u32) -> Result<Step, String> {
    generator_cache::dispose(session.token);
    let (yields, calls) = with_live(session.token, |live| {
        let mut yields = Vec::new();
        let mut calls = VecDeque::new();
        for entry in live.log.iter().flatten() {
            match entry {
                Entry::Yield { task, outcome: Some(outcome) } => yields.push((task.clone(), outcome.clone())),
                Entry::Yield { outcome: None, .. } => {}
                Entry::Call { method, args, result } => calls.push_back((method.clone(), args.clone(), result.clone())),
            }
        }
        (yields, calls)
    })
    .unwrap_or_default();
    with_live(session.token, |live| live.script = calls);
    let mut step = session.start(runtime, &session.identity.input.clone())?;
    let name = &session.identity.name;
    for (task, outcome) in yields {
        let now = match step {
            Step::Yielded { t } if t == task => {
                step = session.step(outcome)?;
                continue;
            }
            Step::Yielded { t } => format!("yielded {}", t.describe()),
            Step::Completed { .. } => "returned".to_string(),
            Step::Failed { .. } => "threw".to_string(),
        };
        return Err(not_deterministic(name, &format!("it {now} where it had yielded {}", task.describe())));
    }
    let unanswered = with_live(session.token, |live| std::mem::take(&mut live.script));
    if let Some((method, _, _)) = unanswered.and_then(|mut calls| calls.pop_front()) {
        return Err(not_deterministic(name, &format!("it skipped its call of ctx.{method}")));
    }
    Ok(step)
}

fn not_deterministic(name: &str, what: &str) -> String {
    format!(
        "orchestration '{name}' is not deterministic: replayed from the start, {what} \
         (state outside the generator, such as module-level variables, must not steer it)"
    )
}

/// A synchronous ctx method called by the generator identified by `token`.
pub fn context_call(token: u32, method: &str, args: Vec<Value>) -> Result<Value, String> {
    with_live(token, |live| {
        if context_calls::is_trace(method) {
            return context_calls::dispatch(&live.ctx, method, &args);
        }
        if let Some((m, a, result)) = live.script.pop_front() {
            return if m == method && a == args {
                Ok(result)
            } else {
                Err(format!(
                    "orchestration is not deterministic: replayed from the start, it called ctx.{method} where it had called ctx.{m}"
                ))
            };
        }
        let result = context_calls::dispatch(&live.ctx, method, &args)?;
        if let Some(log) = live.log.as_mut() {
            log.push(Entry::Call { method: method.to_string(), args, result: result.clone() });
        }
        Ok(result)
    })
    .unwrap_or_else(|| Err("this orchestration context is no longer active (used outside its generator?)".to_string()))
}

/// Where the instance's generator last yielded (`path:line:column`), from the
/// most recent turn that ran on this host.
pub fn last_yield_site(instance: &str) -> Option<String> {
    host::call_hook(|h| &h.yield_site, &[Arg::Str(instance)]).ok().filter(|s| !s.is_empty())
}
