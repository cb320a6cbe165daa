//! Replaying a recorded execution through a runtime's registered JS
//! orchestration, with duroxide's replay engine: nothing is scheduled, no
//! activity runs, nothing is written. Runs on the isolate's thread outside
//! any op (the engine steps the generator synchronously, as a turn does).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use deno_core::ResourceId;
use duroxide::runtime::replay_engine::{ReplayEngine, TurnResult};
use duroxide::runtime::{FnOrchestration, OrchestrationHandler};
use duroxide::{Action, EventKind, OrchestrationContext};

use super::generator_cache::GeneratorCache;
use super::yield_sites::SiteBook;
use super::{orchestration, runtimes, with_state};
use crate::engine::history_file::ExecutionHistory;
use crate::engine::replay_verdict::{self, Divergence};
use crate::host;
use crate::logging;

/// What a replay of one execution found.
#[derive(Debug)]
pub enum Replayed {
    Same,
    /// With the `path:line:column` of the yield the code was at, when it had yielded.
    Diverged(Divergence, Option<String>),
    /// The history cannot be replayed by this code at all (e.g. its orchestration is not registered).
    NotReplayed(String),
}

const WORKER_ID: &str = "duroxide-replay";

/// An instance's replay: its first execution that did not replay the same, or its last.
#[derive(Debug)]
pub struct InstanceReplay {
    pub instance: String,
    pub execution: u64,
    /// How many executions the history had.
    pub executions: usize,
    pub outcome: Replayed,
}

impl InstanceReplay {
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Replayed::Same)
    }

    /// `{instanceId, executionId, ok, outcome: "ok" | "nondeterministic" | "not replayed", line}`.
    pub fn document(&self) -> serde_json::Value {
        let outcome = match self.outcome {
            Replayed::Same => "ok",
            Replayed::Diverged(..) => "nondeterministic",
            Replayed::NotReplayed(_) => "not replayed",
        };
        serde_json::json!({
            "instanceId": self.instance,
            "executionId": self.execution,
            "ok": self.is_ok(),
            "outcome": outcome,
            "line": self.line(),
        })
    }

    /// `ID: ok`, `ID: nondeterministic: history has ... vs code ... at FILE:LINE`, or `ID: not replayed: why`.
    pub fn line(&self) -> String {
        let label = match self.executions {
            1 => self.instance.clone(),
            _ if self.is_ok() => self.instance.clone(),
            _ => format!("{} (execution {})", self.instance, self.execution),
        };
        match &self.outcome {
            Replayed::Same => format!("{label}: ok"),
            Replayed::Diverged(divergence, site) => {
                let at = site.as_deref().map(|s| format!(" at {}", file_line(s))).unwrap_or_default();
                format!("{label}: nondeterministic: {}{at}", divergence.sentence())
            }
            Replayed::NotReplayed(why) => format!("{label}: not replayed: {why}"),
        }
    }
}

/// Replays an instance's executions in order, stopping at the first that does not replay the same.
pub fn replay_instance(runtime: ResourceId, executions: &[ExecutionHistory]) -> Result<InstanceReplay, String> {
    let mut last = None;
    for history in executions {
        let outcome = replay(runtime, history)?;
        let done = !matches!(outcome, Replayed::Same);
        last = Some(InstanceReplay {
            instance: history.instance.clone(),
            execution: history.execution,
            executions: executions.len(),
            outcome,
        });
        if done {
            break;
        }
    }
    last.ok_or_else(|| "internal error: an instance without executions to replay".to_string())
}

/// Executions of the same instance, in the given order, one group per instance.
pub fn group_by_instance(histories: Vec<ExecutionHistory>) -> Vec<Vec<ExecutionHistory>> {
    let mut groups: Vec<Vec<ExecutionHistory>> = Vec::new();
    for history in histories {
        match groups.iter_mut().find(|g| g[0].instance == history.instance) {
            Some(group) => group.push(history),
            None => groups.push(vec![history]),
        }
    }
    groups
}

/// `FILE:LINE` of a `path:line:column` site, the path relative to the current folder when under it.
fn file_line(site: &str) -> String {
    let mut parts = site.rsplitn(3, ':');
    let (_column, line, path) = (parts.next(), parts.next(), parts.next());
    let (Some(line), Some(path)) = (line, path) else { return site.to_string() };
    let path = path.strip_prefix("file://").unwrap_or(path);
    format!("{}:{line}", host::modules::shown(std::path::Path::new(path)))
}

/// While a replay check runs: where the generator yielded the task it waits for (the session notes it
/// as each task starts), so each action the code emits can be reported at its line.
#[derive(Default)]
pub struct ReplaySites {
    pub recording: bool,
    pub current: Option<String>,
}

fn set_recording(recording: bool) -> Result<(), String> {
    with_state(|s| *s.borrow_mut::<ReplaySites>() = ReplaySites { recording, current: None })
}

/// Replays `history` through the orchestrations registered on runtime resource `runtime`.
pub fn replay(runtime: ResourceId, history: &ExecutionHistory) -> Result<Replayed, String> {
    let Some(EventKind::OrchestrationStarted { name, version, input, .. }) = history.events.first().map(|e| &e.kind) else {
        return Ok(Replayed::NotReplayed("its history does not begin with OrchestrationStarted".into()));
    };
    if with_state(|s| runtimes::orchestration_function(s, runtime, name, version))?.is_none() {
        let versions = with_state(|s| runtimes::orchestration_versions(s, runtime, name))?;
        let why = match versions.is_empty() {
            true => format!("the module has no orchestration '{name}'"),
            false => format!("the module has orchestration '{name}' only in version(s) {}, not {version}", versions.join(", ")),
        };
        return Ok(Replayed::NotReplayed(why));
    }
    let ended = history.events.iter().position(|e| replay_verdict::is_terminal(&e.kind));
    let baseline = history.events[..ended.unwrap_or(history.events.len())].to_vec();

    let emitted = Arc::new(Mutex::new(Vec::new()));
    let recorder = emitted.clone();
    let handler: Arc<dyn OrchestrationHandler> = Arc::new(FnOrchestration(move |ctx: OrchestrationContext, input: String| {
        let inner = Box::pin(orchestration::invoke(runtime, ctx.clone(), input));
        Recording { inner, ctx, emitted: recorder.clone() }
    }));
    // A live instance of the same id keeps its noted site for its own reports.
    let live_site = with_state(|s| s.borrow::<Arc<SiteBook>>().take(&history.instance))?;
    set_recording(true)?;
    let mut engine = ReplayEngine::new(history.instance.clone(), history.execution, baseline);
    let result =
        logging::without_replay_warnings(|| engine.execute_orchestration(handler, input.clone(), name.clone(), version.clone(), WORKER_ID));
    set_recording(false)?;
    // The turn's generator, kept for a next turn that never comes.
    let kept = with_state(|s| s.borrow_mut::<GeneratorCache>().forget_runtime(runtime))?;
    drop(kept);
    let last_site = with_state(|s| {
        let book = s.borrow::<Arc<SiteBook>>();
        let ours = book.take(&history.instance);
        if let Some(site) = live_site {
            book.note(&history.instance, site);
        }
        ours
    })?;
    if let TurnResult::Failed(details) = &result {
        if details.display_message().starts_with("internal error") {
            return Err(details.display_message());
        }
    }
    let emitted = std::mem::take(&mut *emitted.lock().unwrap_or_else(|e| e.into_inner()));
    let actions: Vec<Action> = emitted.iter().map(|(action, _)| action.clone()).collect();
    Ok(match replay_verdict::judge(&history.events, &actions, &result) {
        Ok(()) => Replayed::Same,
        Err(divergence) => {
            let site = divergence.action.and_then(|at| emitted.get(at)).and_then(|(_, site)| site.clone()).or(last_site);
            Replayed::Diverged(divergence, site)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_shown_as_file_and_line() {
        let cwd = std::env::current_dir().unwrap();
        let inside = format!("{}/flows/order.mjs:14:20", cwd.display());
        assert_eq!(file_line(&inside), "flows/order.mjs:14");
        assert_eq!(file_line("file:///elsewhere/w.js:3:9"), "/elsewhere/w.js:3");
        assert_eq!(file_line("no-site"), "no-site");
    }
}

/// The handler's future, noting the actions each poll emitted (the engine
/// drains them after every poll, so a snapshot then holds only the new ones).
struct Recording<F> {
    inner: Pin<Box<F>>,
    ctx: OrchestrationContext,
    /// Each action with the site of the yield it came from.
    emitted: Arc<Mutex<Vec<(Action, Option<String>)>>>,
}

impl<F: Future<Output = Result<String, String>>> Future for Recording<F> {
    type Output = Result<String, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let polled = self.inner.as_mut().poll(cx);
        let now = self.ctx.get_emitted_actions();
        if !now.is_empty() {
            let site = with_state(|s| s.borrow::<ReplaySites>().current.clone()).ok().flatten();
            self.emitted.lock().unwrap_or_else(|e| e.into_inner()).extend(now.into_iter().map(|(_, action)| (action, site.clone())));
        }
        polled
    }
}
