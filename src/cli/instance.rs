//! Status, waiting and the final report for one instance, shared by
//! `status`, `wait` and `run --start`.

use std::time::{Duration, Instant};

use duroxide::ProviderRef;
use serde_json::{json, Value};

use super::output::{print_fields, print_json, text};
use super::progress::{describe, Spinner};
use crate::engine::client;
use crate::failure::Failure;

/// `client.getStatus` with `output` parsed from its JSON text.
pub async fn status(store: &ProviderRef, id: &str) -> Result<Value, Failure> {
    let status = client::call(store.clone(), "getStatus", &[json!(id)]).await.map_err(Failure::Failed)?;
    Ok(super::output::parsed_output(status))
}

pub async fn existing_status(store: &ProviderRef, id: &str) -> Result<Value, Failure> {
    let s = status(store, id).await?;
    if s["status"] == "NotFound" {
        return Err(Failure::Failed(format!("instance '{id}' not found")));
    }
    Ok(s)
}

pub fn is_terminal(status: &Value) -> bool {
    matches!(status["status"].as_str(), Some("Completed" | "Failed"))
}

/// How long `wait` treats an unknown id as a start no worker has taken yet.
const NOT_FOUND_GRACE: Duration = Duration::from_secs(5);

/// Polls until the instance completes or fails, showing progress on a terminal.
pub async fn wait(store: &ProviderRef, id: &str, timeout: Option<Duration>) -> Result<Value, Failure> {
    let started = Instant::now();
    let mut spinner = Spinner::new();
    let mut pause = Duration::from_millis(10);
    loop {
        let s = status(store, id).await?;
        if is_terminal(&s) {
            return Ok(s);
        }
        // A just-started instance has no history until a worker takes its start.
        if s["status"] == "NotFound" && started.elapsed() >= NOT_FOUND_GRACE.min(timeout.unwrap_or(NOT_FOUND_GRACE)) {
            return Err(Failure::Failed(format!("instance '{id}' not found")));
        }
        spinner.show(&describe(id, &s));
        if let Some(limit) = timeout {
            if started.elapsed() >= limit {
                return Err(Failure::Failed(format!(
                    "timed out after {} waiting for '{id}' (still {}); it keeps running",
                    humantime(limit),
                    s["status"].as_str().unwrap_or("?")
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
pub fn report_outcome(id: &str, status: &Value, as_json: bool) -> i32 {
    if as_json {
        print_json(&with_id(id, status));
        return if status["status"] == "Completed" { 0 } else { 1 };
    }
    match status["status"].as_str() {
        Some("Completed") => {
            println!("{}", serde_json::to_string(&status["output"]).unwrap_or_default());
            0
        }
        _ => {
            eprintln!("error: instance '{id}' failed: {}", text(&status["error"]));
            1
        }
    }
}

pub fn with_id(id: &str, status: &Value) -> Value {
    let mut v = json!({ "instanceId": id });
    if let (Some(target), Some(source)) = (v.as_object_mut(), status.as_object()) {
        target.extend(source.clone());
    }
    v
}

/// Status as `key: value` lines.
pub fn print_status(id: &str, status: &Value, info: Option<&Value>) {
    let mut fields = vec![("instance", id.to_string()), ("status", text(&status["status"]))];
    if let Some(info) = info {
        fields.push(("orchestration", format!("{} {}", text(&info["orchestrationName"]), text(&info["orchestrationVersion"]))));
        fields.push(("execution", text(&info["currentExecutionId"])));
    }
    if status.get("output").is_some() {
        fields.push(("output", serde_json::to_string(&status["output"]).unwrap_or_default()));
    }
    if let Some(error) = status.get("error") {
        fields.push(("error", text(error)));
    }
    if let Some(custom) = status.get("customStatus") {
        fields.push(("custom status", format!("{} (version {})", text(custom), text(&status["customStatusVersion"]))));
    }
    print_fields(&fields);
}
