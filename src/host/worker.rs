//! Serving a workflow module: open the store, register its exports on a
//! runtime, then either serve until SIGINT/SIGTERM or run one job (`--start`)
//! to its end. Shutdown is graceful: in-flight activities finish (or, past the
//! grace period, are released to be retried), nothing is lost.

use std::path::Path;
use std::time::Duration;

use duroxide::ProviderRef;
use serde_json::{json, Value};

use super::script::drive_with;
use super::{call_hook, Arg};
use crate::cli::args::StoreArgs;
use crate::cli::instance;
use crate::engine::{client, runtimes, stores};
use crate::failure::Failure;

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

pub async fn serve(path: &Path, workflows: &str, plan: &ServePlan) -> Result<i32, Failure> {
    if let Some(job) = &plan.job {
        check_exported(path, workflows, &job.name)?;
    }
    let store = plan.store.open_or_create().await?;
    let handle = stores::add(store.clone());
    let runtime: u32 = call_hook(
        |h| &h.serve_workflows,
        &[Arg::Num(handle as f64), Arg::Str(&plan.options.to_string())],
    )
    .map_err(|e| Failure::Usage(format!("{}: {}", path.display(), e.trim_start_matches("Uncaught "))))?
    .parse()
    .map_err(|_| Failure::Failed("internal error: no runtime handle".into()))?;
    runtimes::start(runtime).await.map_err(Failure::Failed)?;

    let outcome = match &plan.job {
        Some(job) => drive_with(Box::pin(run_job(store, job)), None).await,
        None => {
            announce(path, workflows, &plan.store);
            drive_with(Box::pin(stop_signal()), None).await.map(|()| 0)
        }
    };
    let grace = plan.shutdown_grace.as_millis() as u64;
    drive_with(
        Box::pin(async move { runtimes::shutdown(runtime, Some(grace)).await.map_err(Failure::Failed) }),
        None,
    )
    .await?;
    outcome
}

/// `--start NAME` must name an exported orchestration.
fn check_exported(path: &Path, workflows: &str, name: &str) -> Result<(), Failure> {
    let summary: Value = serde_json::from_str(workflows).unwrap_or_default();
    let names: Vec<&String> = summary["orchestrations"].as_object().map(|o| o.keys().collect()).unwrap_or_default();
    if names.iter().any(|n| *n == name) {
        return Ok(());
    }
    let list = names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ");
    Err(Failure::Usage(format!("{} exports no orchestration '{name}' (it exports: {list})", path.display())))
}

fn announce(path: &Path, workflows: &str, store: &StoreArgs) {
    let summary: Value = serde_json::from_str(workflows).unwrap_or_default();
    let count = |key: &str| summary[key].as_object().map(|o| o.len()).or(summary[key].as_array().map(|a| a.len())).unwrap_or(0);
    eprintln!(
        "duroxide: serving {} orchestration(s) and {} activit{} from {} on {} (Ctrl-C to stop)",
        count("orchestrations"),
        count("activities"),
        if count("activities") == 1 { "y" } else { "ies" },
        path.display(),
        stores::redact_url(&store.store)
    );
}

/// Resolves on SIGINT or SIGTERM.
async fn stop_signal() -> Result<(), Failure> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    eprintln!("duroxide: stopping: finishing in-flight work...");
    Ok(())
}

/// Starts the job (or attaches to it), waits for its end and reports it.
async fn run_job(store: ProviderRef, job: &Job) -> Result<i32, Failure> {
    let id = match &job.id {
        Some(id) => id.clone(),
        None => {
            let id = crate::cli::start::generated_id(&job.name);
            eprintln!("instance id: {id}");
            id
        }
    };
    let existing = instance::status(&store, &id).await?;
    if existing["status"] == "NotFound" {
        client::call(store.clone(), "startOrchestration", &[json!(id), json!(job.name), json!(job.input)])
            .await
            .map_err(Failure::Failed)?;
    } else {
        eprintln!("attaching to existing instance '{id}' ({})", existing["status"].as_str().unwrap_or("?"));
    }
    tokio::select! {
        status = instance::wait(&store, &id, job.timeout) => Ok(instance::report_outcome(&id, &status?, job.json)),
        _ = stop_signal() => {
            eprintln!("interrupted: '{id}' keeps its progress; run the same command with --id {id} to resume");
            Ok(130)
        }
    }
}
