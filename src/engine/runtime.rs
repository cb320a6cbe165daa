//! A runtime as the SDK's `Runtime` sees it: names registered before
//! `start()`, then a running duroxide runtime whose handlers are given by
//! the caller, then stopped. Starting and stopping are split in two steps
//! (begin, then finish after the await) so the owner never holds it
//! borrowed across an await.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use duroxide::runtime::registry::ActivityRegistry;
use duroxide::{ActivityContext, OrchestrationContext, OrchestrationRegistry, RuntimeOptions};

use super::options::RuntimeMetrics;
use super::store::{decorated, Decorated, HeldLocks, Released, Store, UnknownStarts};

pub type Outcome = Result<String, String>;
pub type BoxedOutcome = Pin<Box<dyn Future<Output = Outcome> + Send>>;
/// What runs an orchestration turn: `(ctx, input JSON)`.
pub type OrchestrationHandler = Arc<dyn Fn(OrchestrationContext, String) -> BoxedOutcome + Send + Sync>;
/// What runs an activity: `(ctx, input JSON)`.
pub type ActivityHandler = Arc<dyn Fn(ActivityContext, String) -> BoxedOutcome + Send + Sync>;

pub struct Runtime {
    store: Store,
    options: RuntimeOptions,
    activities: Vec<String>,
    orchestrations: Vec<(String, semver::Version)>,
    state: State,
}

enum State {
    Configuring,
    Starting,
    Running(Running),
    Stopped,
}

/// A started duroxide runtime and the locks it holds.
#[derive(Clone)]
pub struct Running {
    runtime: Arc<duroxide::runtime::Runtime>,
    locks: Arc<Decorated<HeldLocks>>,
}

impl Running {
    /// Stops the runtime (in-flight work gets `grace_ms` to finish), then hands
    /// back the locks of work it cut off so other workers take it at once.
    pub async fn shutdown(self, grace_ms: u64) -> Released {
        self.runtime.shutdown(Some(grace_ms)).await;
        self.locks.release_all().await
    }
}

/// What `start` needs, taken out of a runtime that is now starting.
pub struct StartPlan {
    store: Store,
    options: RuntimeOptions,
    activities: Vec<String>,
    orchestrations: Vec<(String, semver::Version)>,
}

/// Longest graceful wait for in-flight work; `shutdown` returns earlier once drained.
pub const DEFAULT_SHUTDOWN_MS: u64 = 5_000;

impl Runtime {
    pub fn new(store: Store, options: RuntimeOptions) -> Runtime {
        Runtime { store, options, activities: Vec::new(), orchestrations: Vec::new(), state: State::Configuring }
    }

    fn ensure_configuring(&self, what: &str) -> Result<(), String> {
        match self.state {
            State::Configuring => Ok(()),
            _ => Err(format!("{what} must be called before runtime.start()")),
        }
    }

    pub fn register_activity(&mut self, name: &str) -> Result<(), String> {
        self.ensure_configuring("registerActivity")?;
        if self.activities.iter().any(|n| n == name) {
            return Err(format!("activity '{name}' is already registered on this runtime"));
        }
        self.activities.push(name.to_string());
        Ok(())
    }

    /// Returns the version as duroxide will report it (normalised semver).
    pub fn register_orchestration(&mut self, name: &str, version: &str) -> Result<String, String> {
        let parsed = semver::Version::parse(version)
            .map_err(|e| format!("orchestration '{name}': version '{version}' is not a semantic version like 1.2.0 ({e})"))?;
        self.ensure_configuring("registerOrchestration")?;
        if self.orchestrations.iter().any(|(n, v)| n == name && *v == parsed) {
            return Err(format!("orchestration '{name}' version {parsed} is already registered on this runtime"));
        }
        self.orchestrations.push((name.to_string(), parsed.clone()));
        Ok(parsed.to_string())
    }

    /// Moves to Starting; the caller awaits [`StartPlan::start`] and hands the result to [`Runtime::started`].
    pub fn begin_start(&mut self) -> Result<StartPlan, String> {
        match self.state {
            State::Configuring => {}
            State::Stopped => return Err("this runtime was shut down; create a new Runtime to start again".into()),
            _ => return Err("runtime.start() was already called".into()),
        }
        self.state = State::Starting;
        Ok(StartPlan {
            store: self.store.clone(),
            options: self.options.clone(),
            activities: self.activities.clone(),
            orchestrations: self.orchestrations.clone(),
        })
    }

    pub fn started(&mut self, result: Result<Running, String>) -> Result<(), String> {
        match result {
            Ok(runtime) => {
                self.state = State::Running(runtime);
                Ok(())
            }
            Err(e) => {
                self.state = State::Stopped;
                Err(e)
            }
        }
    }

    /// Moves to Stopped; the running duroxide runtime, if any, is the caller's to shut down.
    pub fn begin_shutdown(&mut self) -> Result<Option<Running>, String> {
        match std::mem::replace(&mut self.state, State::Stopped) {
            State::Running(runtime) => Ok(Some(runtime)),
            State::Starting => {
                self.state = State::Starting;
                Err("runtime.shutdown() was called while runtime.start() is still in progress; await start() first".into())
            }
            _ => Ok(None),
        }
    }

    /// Started and not shut down: it keeps a script alive.
    pub fn is_active(&self) -> bool {
        matches!(self.state, State::Starting | State::Running(_))
    }

    /// The counters, or None before start and after shutdown.
    pub fn metrics(&self) -> Option<RuntimeMetrics> {
        match &self.state {
            State::Running(running) => running.runtime.metrics_snapshot().map(RuntimeMetrics::from),
            _ => None,
        }
    }
}

impl StartPlan {
    /// Registers every name with the given handlers and starts duroxide's runtime.
    pub async fn start(self, activity: ActivityHandler, orchestration: OrchestrationHandler) -> Result<Running, String> {
        let mut activities = ActivityRegistry::builder();
        for name in self.activities {
            let handler = activity.clone();
            activities = activities.register(name, move |ctx, input| handler(ctx, input));
        }
        let names: Vec<String> = self.orchestrations.iter().map(|(name, _)| name.clone()).collect();
        let mut orchestrations = OrchestrationRegistry::builder();
        let mut versions = self.orchestrations;
        // duroxide requires each name's versions to be registered in ascending order.
        versions.sort();
        for (name, version) in versions {
            let handler = orchestration.clone();
            orchestrations = orchestrations.register_versioned(name, version.to_string(), move |ctx, input| handler(ctx, input));
        }
        let unknown_starts = decorated(UnknownStarts::new(self.store.provider(), names, self.options.max_attempts));
        let locks = decorated(HeldLocks::new(unknown_starts));
        let runtime = duroxide::runtime::Runtime::start_with_options(
            locks.clone(),
            activities.build_result()?,
            orchestrations.build_result()?,
            self.options,
        )
        .await;
        Ok(Running { runtime, locks })
    }
}
