//! Orchestration handler: steps the JS generator synchronously inside
//! duroxide's poll and turns each yielded descriptor into durable futures.
//! A generator suspended at the end of a turn is kept (see generator_cache)
//! and resumed by the next turn of its execution instead of replayed.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use deno_core::{v8, OpState};
use duroxide::OrchestrationContext;
use serde::Deserialize;
use serde_json::Value;

use super::context_calls;
use super::generator_cache::{Entry, GeneratorCache, Identity, Kept, HEAP_PRESSURE};
use super::replay::ReplaySites;
use super::yield_sites::SiteBook;
use super::{runtimes, with_state};
use crate::engine::tasks::{self, Outcome, Task};
use crate::host;

/// The context a generator talks to in the current turn, and its record.
struct Live {
    ctx: OrchestrationContext,
    /// Everything the generator did, when the cache is on.
    log: Option<Vec<Entry>>,
    /// While a fresh generator catches up with this turn: the answers its
    /// synchronous ctx calls already got, in order.
    script: VecDeque<(String, Vec<Value>, Value)>,
    /// The generator's JS holder, once started.
    generator: Option<v8::Global<v8::Object>>,
}

/// The sessions of the turns running now, by the token their JS ctx objects
/// call back with (per isolate, in its op state).
#[derive(Default)]
pub struct Sessions {
    next_token: u32,
    live: HashMap<u32, Live>,
}

impl Sessions {
    fn new_token(&mut self) -> u32 {
        self.next_token += 1;
        self.next_token
    }
}

/// What one generator step produced (runtime_ext/orchestration/driver.js, `stepResult`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum Step {
    Yielded(Task),
    /// JSON text of the return value.
    Returned(String),
    /// The failure's text.
    Threw(String),
}

fn parse_step(text: &str) -> Result<Step, String> {
    serde_json::from_str(text).map_err(|e| format!("internal error: malformed generator step ({e}): {text}"))
}

fn with_live<R>(token: u32, f: impl FnOnce(&mut Live) -> R) -> Option<R> {
    with_state(|s| s.borrow_mut::<Sessions>().live.get_mut(&token).map(f)).ok().flatten()
}

/// One handler invocation (one turn). duroxide drops the handler future at the
/// end of every turn; dropping the session then keeps or drops the generator.
struct Session {
    token: u32,
    identity: Identity,
    /// True only while awaiting a task the generator is suspended at: the
    /// one state a later turn can resume from.
    resumable: bool,
    /// A generator ran from the start in this turn, replaying history: the
    /// only kind of turn whose calls can diverge from what history recorded.
    replayed: bool,
}

impl Session {
    fn open(
        token: u32,
        identity: Identity,
        ctx: &OrchestrationContext,
        generator: Option<v8::Global<v8::Object>>,
    ) -> Result<Session, String> {
        with_state(|s| {
            let log = s.borrow::<GeneratorCache>().enabled().then(Vec::new);
            let live = Live { ctx: ctx.clone(), log, script: VecDeque::new(), generator };
            s.borrow_mut::<Sessions>().live.insert(token, live);
        })?;
        Ok(Session { token, identity, resumable: false, replayed: false })
    }

    fn record(&self, entry: Entry) {
        with_live(self.token, |live| live.log.as_mut().map(|log| log.push(entry)));
    }

    /// Runs a task the generator is waiting for.
    async fn await_task(&mut self, ctx: &OrchestrationContext, task: Task) -> Outcome {
        self.note_replay_site();
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

    /// In a replay check, where the generator yielded the task it now waits
    /// for: each action the task emits is reported at that line.
    fn note_replay_site(&self) {
        if !with_state(|s| s.borrow::<ReplaySites>().recording).unwrap_or(false) {
            return;
        }
        let generator = with_live(self.token, |live| live.generator.clone()).flatten();
        let site = generator.and_then(|g| host::with(|h| h.yield_site(&g)).ok().flatten());
        let _ = with_state(|s| s.borrow_mut::<ReplaySites>().current = site);
    }

    /// Starts a fresh generator on this session's token and runs it to its first yield.
    fn start(&mut self) -> Result<Step, String> {
        self.replayed = true;
        let id = &self.identity;
        let function = with_state(|s| runtimes::orchestration_function(s, id.runtime, &id.name, &id.version))?
            .ok_or_else(|| format!("orchestration '{}' (version {}) is not registered", id.name, id.version))?;
        let info = serde_json::json!({
            "instanceId": id.instance,
            "executionId": id.execution,
            "orchestrationName": id.name,
            "orchestrationVersion": id.version,
            "token": self.token,
        })
        .to_string();
        let (generator, step) =
            host::with(|h| h.create_generator(&function, &info, &id.input))?.map_err(|e| e.of(&format!("orchestration '{}'", id.name)))?;
        with_live(self.token, |live| live.generator = Some(generator));
        parse_step(&step)
    }

    fn step(&self, outcome: Outcome) -> Result<Step, String> {
        let (is_error, payload) = match outcome {
            Ok(value) => (false, value),
            Err(message) => (true, message),
        };
        let generator =
            with_live(self.token, |live| live.generator.clone()).flatten().ok_or("internal error: the generator of this turn is gone")?;
        let step = host::with(|h| h.step_generator(&generator, is_error, &payload))?
            .map_err(|e| e.of(&format!("orchestration '{}'", self.identity.name)))?;
        parse_step(&step)
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
    /// Notes where a replaying generator last yielded (for nondeterminism
    /// reports; a resumed one repeats calls history already accepted) and
    /// keeps the generator when the next turn can resume it. Fails quietly
    /// when the isolate is busy or gone (a runtime shutting down from inside JS).
    fn drop(&mut self) {
        let Some(live) = with_state(|s| s.borrow_mut::<Sessions>().live.remove(&self.token)).ok().flatten() else {
            return;
        };
        let Some(generator) = live.generator else { return };
        let site = if self.replayed { host::with(|h| h.yield_site(&generator)).ok().flatten() } else { None };
        if let Some(site) = site {
            let _ = with_state(|s| s.borrow::<Arc<SiteBook>>().note(&self.identity.instance, site));
        }
        let Some(log) = live.log.filter(|_| self.resumable) else { return };
        let kept = Kept { token: self.token, identity: self.identity.clone(), log, generator };
        let Ok((evicted, check_heap)) = with_state(|s| s.borrow_mut::<GeneratorCache>().keep(kept)) else { return };
        drop(evicted);
        let pressed = check_heap && host::with(|h| h.heap_usage()).is_ok_and(|(used, limit)| used as f64 > limit as f64 * HEAP_PRESSURE);
        if pressed {
            let _ = with_state(|s| drop(s.borrow_mut::<GeneratorCache>().evict_share(2)));
        }
    }
}

/// The orchestration handler of runtime resource `runtime`.
pub async fn invoke(runtime: u32, ctx: OrchestrationContext, input: String) -> Result<String, String> {
    let identity = Identity {
        runtime,
        instance: ctx.instance_id().to_string(),
        execution: ctx.execution_id(),
        name: ctx.orchestration_name().to_string(),
        version: ctx.orchestration_version().to_string(),
        input,
    };
    let (mut session, kept_log) = open_session(identity, &ctx)?;
    let mut step = match kept_log {
        Some(log) => resume(&ctx, &mut session, log).await?,
        None => session.start()?,
    };
    loop {
        match step {
            Step::Returned(output) => return Ok(output),
            Step::Threw(message) => return Err(message),
            Step::Yielded(task) => {
                let outcome = session.await_task(&ctx, task).await;
                step = session.step(outcome)?;
            }
        }
    }
}

/// The session of this turn: on the kept generator of its execution, with
/// the kept log to re-issue, or on a new token.
fn open_session(identity: Identity, ctx: &OrchestrationContext) -> Result<(Session, Option<Vec<Entry>>), String> {
    match with_state(|s| s.borrow_mut::<GeneratorCache>().take(&identity))? {
        Some(Kept { token, log, generator, .. }) => Ok((Session::open(token, identity, ctx, Some(generator))?, Some(log))),
        None => {
            let token = with_state(|s| s.borrow_mut::<Sessions>().new_token())?;
            Ok((Session::open(token, identity, ctx, None)?, None))
        }
    }
}

/// Re-issues a kept generator's log to this turn's context. When every
/// outcome matches what the generator saw, it resumes where it stopped;
/// otherwise a fresh generator catches up with this turn's outcomes.
async fn resume(ctx: &OrchestrationContext, session: &mut Session, log: Vec<Entry>) -> Result<Step, String> {
    for entry in log {
        match entry {
            Entry::Call { method, args, result } => {
                let now = context_calls::dispatch(ctx, &method, &args)?;
                let same = now == result;
                session.record(Entry::Call { method, args, result: now });
                if !same {
                    return catch_up(session).await;
                }
            }
            Entry::Yield { task, outcome: Some(seen) } => {
                session.record(Entry::Yield { task: task.clone(), outcome: None });
                let now = tasks::run(ctx, task).await;
                settle_last_yield(session.token, &now);
                if now != seen {
                    return catch_up(session).await;
                }
            }
            Entry::Yield { task, outcome: None } => {
                let outcome = session.await_task(ctx, task).await;
                if with_state(|s| s.borrow::<GeneratorCache>().replay_check())? {
                    return catch_up(session).await;
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
async fn catch_up(session: &mut Session) -> Result<Step, String> {
    let (yields, calls) = with_live(session.token, |live| {
        live.generator = None;
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
    let mut step = session.start()?;
    let name = &session.identity.name;
    for (task, outcome) in yields {
        let now = match step {
            Step::Yielded(t) if t == task => {
                step = session.step(outcome)?;
                continue;
            }
            Step::Yielded(t) => format!("yielded {}", t.describe()),
            Step::Returned(_) => "returned".to_string(),
            Step::Threw(_) => "threw".to_string(),
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

/// A synchronous ctx method called by the generator of session `token`
/// (from an op, which holds the op state).
pub fn context_call(state: &mut OpState, token: u32, method: &str, args: Vec<Value>) -> Result<Value, String> {
    let Some(live) = state.borrow_mut::<Sessions>().live.get_mut(&token) else {
        return Err("this orchestration context is no longer active (used outside its generator?)".to_string());
    };
    if context_calls::is_trace(method) {
        return context_calls::dispatch(&live.ctx, method, &args);
    }
    if let Some((m, a, result)) = live.script.pop_front() {
        return if m == method && a == args {
            Ok(result)
        } else {
            Err(format!("orchestration is not deterministic: replayed from the start, it called ctx.{method} where it had called ctx.{m}"))
        };
    }
    let result = context_calls::dispatch(&live.ctx, method, &args)?;
    if let Some(log) = live.log.as_mut() {
        log.push(Entry::Call { method: method.to_string(), args, result: result.clone() });
    }
    Ok(result)
}
