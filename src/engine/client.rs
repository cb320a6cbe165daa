//! Client calls from JS: one entry point that maps a method name and its
//! JSON arguments onto duroxide's `Client`.

use std::time::Duration;

use duroxide::{Client, ClientError, OrchestrationStatus, ProviderRef};
use serde_json::{json, Value};

pub async fn call(store: ProviderRef, method: &str, args: &[Value]) -> Result<Value, String> {
    let client = Client::new(store);
    let a = Args(args);
    match method {
        "startOrchestration" => {
            let (id, name) = (a.id(0)?, a.str(1, "orchestration name")?);
            client.start_orchestration(id, name, a.str(2, "input")?).await.map_err(|e| start_error(id, e))?;
            Ok(Value::Null)
        }
        "startOrchestrationVersioned" => {
            let (id, name) = (a.id(0)?, a.str(1, "orchestration name")?);
            let version = a.str(3, "version")?;
            semver::Version::parse(version)
                .map_err(|e| format!("version '{version}' is not a semantic version like 1.2.0 ({e})"))?;
            client
                .start_orchestration_versioned(id, name, version, a.str(2, "input")?)
                .await
                .map_err(|e| start_error(id, e))?;
            Ok(Value::Null)
        }
        "getStatus" => {
            let id = a.id(0)?;
            let status = client.get_orchestration_status(id).await.map_err(|e| failed("getStatus", id, e))?;
            Ok(status_json(status))
        }
        "waitForOrchestration" => {
            let id = a.id(0)?;
            let timeout = a.millis(1, 30_000)?;
            match client.wait_for_orchestration(id, timeout).await {
                Ok(status) => Ok(status_json(status)),
                Err(ClientError::Timeout) => Err(format!(
                    "timed out after {} ms waiting for orchestration '{id}' to finish",
                    timeout.as_millis()
                )),
                Err(e) => Err(failed("waitForOrchestration", id, e)),
            }
        }
        "raiseEvent" => {
            let id = a.id(0)?;
            client
                .raise_event(id, a.str(1, "event name")?, a.str(2, "data")?)
                .await
                .map_err(|e| failed("raiseEvent", id, e))?;
            Ok(Value::Null)
        }
        "enqueueEvent" => {
            let id = a.id(0)?;
            client
                .enqueue_event(id, a.str(1, "queue name")?, a.str(2, "data")?)
                .await
                .map_err(|e| failed("enqueueEvent", id, e))?;
            Ok(Value::Null)
        }
        "cancelInstance" => {
            let id = a.id(0)?;
            let reason = a.0.get(1).and_then(Value::as_str).unwrap_or("cancelled").to_string();
            client.cancel_instance(id, reason).await.map_err(|e| failed("cancelInstance", id, e))?;
            Ok(Value::Null)
        }
        other => Err(format!("unknown client method '{other}'")),
    }
}

struct Args<'a>(&'a [Value]);

impl<'a> Args<'a> {
    fn str(&self, i: usize, what: &str) -> Result<&'a str, String> {
        self.0
            .get(i)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{what} must be a string"))
    }

    fn id(&self, i: usize) -> Result<&'a str, String> {
        let id = self.str(i, "instance id")?;
        if id.is_empty() {
            return Err("instance id must not be empty".into());
        }
        Ok(id)
    }

    fn millis(&self, i: usize, default: u64) -> Result<Duration, String> {
        match self.0.get(i) {
            None | Some(Value::Null) => Ok(Duration::from_millis(default)),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .map(|n| Duration::from_millis(n as u64))
                .ok_or_else(|| format!("timeout must be a non-negative number of milliseconds, got {v}")),
        }
    }
}

fn start_error(id: &str, e: ClientError) -> String {
    format!("cannot start orchestration '{id}': {e}")
}

fn failed(what: &str, id: &str, e: ClientError) -> String {
    format!("{what}('{id}') failed: {e}")
}

/// `{status, output?, error?, customStatus?, customStatusVersion}`; output is
/// still JSON text here, the JS side parses it.
pub fn status_json(status: OrchestrationStatus) -> Value {
    match status {
        OrchestrationStatus::NotFound => json!({ "status": "NotFound", "customStatusVersion": 0 }),
        OrchestrationStatus::Running { custom_status, custom_status_version } => {
            with_custom(json!({ "status": "Running" }), custom_status, custom_status_version)
        }
        OrchestrationStatus::Completed { output, custom_status, custom_status_version } => {
            with_custom(json!({ "status": "Completed", "output": output }), custom_status, custom_status_version)
        }
        OrchestrationStatus::Failed { details, custom_status, custom_status_version } => with_custom(
            json!({ "status": "Failed", "error": details.display_message() }),
            custom_status,
            custom_status_version,
        ),
    }
}

fn with_custom(mut v: Value, custom_status: Option<String>, version: u64) -> Value {
    if let Some(s) = custom_status {
        v["customStatus"] = Value::String(s);
    }
    v["customStatusVersion"] = json!(version);
    v
}
