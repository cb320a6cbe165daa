//! Serving a workflow module: open the store, register its exports on a
//! runtime, then either serve until SIGINT/SIGTERM or run one job (`--start`)
//! to its end. Shutdown is graceful: in-flight activities finish (or, past the
//! grace period, are released to be retried), nothing is lost.

use std::path::Path;
use std::time::Duration;

use deno_core::OpState;
use serde_json::Value;

use super::args::StoreArgs;
use super::instance;
use super::signals::{self, StopSignals};
use crate::bridge::{runtimes, stores};
use crate::engine::client::Client;
use crate::engine::store::{redact, Store};
use crate::failure::Failure;
use crate::host::watchdog::human;
use crate::host::{self, event_loop};

/// How `duroxide run` serves a workflow module.
pub struct ServePlan {
    pub store: StoreArgs,
    /// Runtime options in the SDK's camelCase form.
    pub options: Value,
    pub job: Option<Job>,
    pub shutdown_grace: Duration,
}

/// `--start NAME [--input JSON] [--id ID] [--timeout DURATION]`
pub struct Job {
    pub name: String,
    pub input: String,
    pub id: Option<String>,
    pub timeout: Option<Duration>,
    pub json: bool,
}

/// The main file's exports: `{orchestrations: {name: [versions]}, activities: [names]}`.
pub struct Exports(Value);

impl Exports {
    pub fn parse(json: &str) -> Exports {
        Exports(serde_json::from_str(json).unwrap_or_default())
    }

    fn orchestrations(&self) -> Vec<&str> {
        self.0["orchestrations"].as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default()
    }

    fn activity_count(&self) -> usize {
        self.0["activities"].as_array().map_or(0, Vec::len)
    }
}

fn keep_alive(state: &OpState) -> bool {
    runtimes::any_active(state)
}

fn op_state() -> Result<std::rc::Rc<std::cell::RefCell<OpState>>, Failure> {
    host::op_state().map_err(Failure::Failed)
}

pub async fn serve(path: &Path, exports: &Exports, plan: &ServePlan) -> Result<i32, Failure> {
    if let Some(job) = &plan.job {
        check_exported(path, exports, &job.name)?;
    }
    let options = stores::options(&op_state()?.borrow());
    let store = plan.store.open_or_create(&options).await?;
    let store_id = stores::add(&mut op_state()?.borrow_mut(), store.clone());
    let runtime = register_exports(path, store_id, &plan.options)?;
    runtimes::start(op_state()?, runtime).await.map_err(Failure::Failed)?;

    let signals = StopSignals::watch(plan.shutdown_grace)?;
    let outcome = match &plan.job {
        Some(job) => event_loop::drive_until(run_job(&store, job, &signals), &keep_alive, None).await.map_err(Failure::Failed)?,
        None => {
            announce(path, exports, &plan.store);
            event_loop::drive_until(signals.received(), &keep_alive, None).await.map_err(Failure::Failed)?;
            eprintln!("duroxide: stopping: finishing in-flight work...");
            Ok(0)
        }
    };
    let grace = plan.shutdown_grace.as_millis() as u64;
    let released = event_loop::drive_until(runtimes::shutdown(op_state()?, runtime, Some(grace)), &keep_alive, None)
        .await
        .map_err(Failure::Failed)?
        .map_err(Failure::Failed)?;
    if released.activities + released.orchestrations > 0 {
        eprintln!(
            "duroxide: released {} activit{} and {} orchestration turn(s) cut off by the {} grace: other workers take them now",
            released.activities,
            if released.activities == 1 { "y" } else { "ies" },
            released.orchestrations,
            human(plan.shutdown_grace)
        );
    }
    outcome
}

/// A runtime (not started) on store resource `store` with the main file's exports registered.
pub fn register_exports(path: &Path, store: u32, options: &Value) -> Result<u32, Failure> {
    host::with(|h| h.serve_workflows(store, &options.to_string()))
        .map_err(Failure::Failed)?
        .map_err(|e| Failure::Usage(format!("{}: {}", path.display(), e.trim_start_matches("Uncaught "))))
}

/// `--start NAME` must name an exported orchestration.
fn check_exported(path: &Path, exports: &Exports, name: &str) -> Result<(), Failure> {
    let names = exports.orchestrations();
    if names.contains(&name) {
        return Ok(());
    }
    Err(Failure::Usage(format!("{} exports no orchestration '{name}' (it exports: {})", path.display(), names.join(", "))))
}

fn announce(path: &Path, exports: &Exports, store: &StoreArgs) {
    let activities = exports.activity_count();
    eprintln!(
        "duroxide: serving {} orchestration(s) and {} activit{} from {} on {} (Ctrl-C to stop)",
        exports.orchestrations().len(),
        activities,
        if activities == 1 { "y" } else { "ies" },
        path.display(),
        redact(&store.store)
    );
}

/// Starts the job (or attaches to it), waits for its end and reports it.
async fn run_job(store: &Store, job: &Job, signals: &StopSignals) -> Result<i32, Failure> {
    let id = match &job.id {
        Some(id) => id.clone(),
        None => {
            let id = super::start::generated_id(&job.name);
            eprintln!("instance id: {id}");
            id
        }
    };
    let client = Client::new(store);
    let existing = instance::status(&client, &id).await?;
    if existing.is_found() {
        eprintln!("attaching to existing instance '{id}' ({})", existing.status);
    } else {
        client.start(&id, &job.name, job.input.clone(), None).await.map_err(Failure::Failed)?;
    }
    tokio::select! {
        status = instance::wait(&client, &id, job.timeout) => Ok(instance::report_outcome(&id, &status?, job.json)),
        signal = signals.received() => {
            eprintln!("interrupted: '{id}' keeps its progress; run the same command with --id {id} to resume");
            Ok(signals::exit_code(signal))
        }
    }
}
