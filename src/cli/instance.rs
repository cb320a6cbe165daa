//! Status, waiting and the final report for one instance, shared by
//! `status`, `wait` and `run --start`.

use std::time::{Duration, Instant};

use super::output::{print_fields, print_json, print_line, with_parsed_output};
use super::progress::{describe, Spinner};
use crate::engine::client::Client;
use crate::engine::documents;
pub use crate::engine::documents::{queued_note, status_json};
use crate::engine::shapes::{Instance, Status};
use crate::failure::Failure;

/// The instance's status, `Pending` while its start waits for a worker.
pub async fn status(client: &Client, id: &str) -> Result<Status, Failure> {
    client.status_or_pending(id).await.map_err(Failure::Failed)
}

pub async fn existing_status(client: &Client, id: &str) -> Result<Status, Failure> {
    documents::found_status(client, id).await.map_err(failure)
}

/// The status of an instance that has a history (a pending start has none yet).
pub async fn started_status(client: &Client, id: &str) -> Result<Status, Failure> {
    documents::started_status(client, id).await.map_err(failure)
}

pub fn failure(lookup: documents::Lookup) -> Failure {
    Failure::Failed(lookup.message().to_string())
}

/// Polls until the instance completes or fails, showing progress on a terminal.
pub async fn wait(client: &Client, id: &str, timeout: Option<Duration>) -> Result<Status, Failure> {
    let started = Instant::now();
    let mut spinner = Spinner::new();
    let mut pause = Duration::from_millis(10);
    loop {
        let s = status(client, id).await?;
        if s.is_terminal() {
            return Ok(s);
        }
        // A start no worker has taken yet is Pending, not missing.
        if !s.is_found() {
            return Err(Failure::Failed(format!("instance '{id}' not found")));
        }
        spinner.show(&describe(id, &s));
        if let Some(limit) = timeout {
            if started.elapsed() >= limit {
                return Err(Failure::Failed(format!(
                    "timed out after {} waiting for '{id}' (still {}); it keeps running",
                    humantime(limit),
                    s.status
                )));
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn humantime(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// Prints a terminal status: the output (JSON) for Completed, the error on
/// stderr for Failed. Returns the exit code.
pub fn report_outcome(id: &str, status: &Status, as_json: bool) -> i32 {
    if as_json {
        print_json(&status_json(id, status));
        return if status.status == "Completed" { 0 } else { 1 };
    }
    match status.status.as_str() {
        "Completed" => {
            print_line(&serde_json::to_string(&with_parsed_output(status)["output"]).unwrap_or_default());
            0
        }
        _ => {
            eprintln!("error: instance '{id}' failed: {}", status.error.as_deref().unwrap_or("-"));
            1
        }
    }
}

/// Status as `key: value` lines.
pub fn print_status(id: &str, status: &Status, info: Option<&Instance>) {
    let mut fields = vec![("instance", id.to_string()), ("status", status.status.clone())];
    if let Some(start) = &status.queued {
        let version = start.orchestration_version.as_deref().unwrap_or("latest");
        fields.push(("orchestration", format!("{} {version}", start.orchestration_name)));
        fields.push(("queued", queued_note(start)));
    }
    if let Some(info) = info {
        fields.push(("orchestration", format!("{} {}", info.orchestration_name, info.orchestration_version)));
        fields.push(("execution", info.current_execution_id.to_string()));
    }
    if status.output.is_some() {
        fields.push(("output", serde_json::to_string(&with_parsed_output(status)["output"]).unwrap_or_default()));
    }
    if let Some(error) = &status.error {
        fields.push(("error", error.clone()));
    }
    if let Some(custom) = &status.custom_status {
        fields.push(("custom status", format!("{custom} (version {})", status.custom_status_version)));
    }
    print_fields(&fields);
}
