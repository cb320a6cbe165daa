//! The HTTP JSON API: the management verbs' operations for other languages and
//! tools. Bad input is a 400, an unknown instance a 404, a conflict a 409, each
//! with `{"error": "one line"}`; only a store that cannot be read is a 500.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::App;
use crate::engine::client::{check_start, generated_id};
use crate::engine::documents::{self, Lookup};
use crate::engine::store::{Cursor, InstanceRow, PageQuery};

pub type Answer = Result<Response, Response>;

pub fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// An answer of an API route that is an error but not JSON (axum's own: a path that is not UTF-8, a
/// method the route does not have) as `{"error": ...}`, so every API error has one shape.
pub async fn as_json_error(response: Response) -> Response {
    let status = response.status();
    let is_json = response.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = match (text.is_empty(), status) {
        (false, _) => text,
        (true, StatusCode::METHOD_NOT_ALLOWED) => "this route does not take that method: see the README's API table".to_string(),
        (true, _) => status.canonical_reason().unwrap_or("request refused").to_string(),
    };
    error(status, message.lines().next().unwrap_or_default().to_string())
}

fn bad(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message.into())
}

fn store_failed(message: String) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, message)
}

pub fn lookup_failed(lookup: Lookup) -> Response {
    match lookup {
        Lookup::Missing(m) => error(StatusCode::NOT_FOUND, m),
        Lookup::Failed(m) => store_failed(m),
    }
}

/// The query string's parameters; an empty value counts as absent.
pub fn params(raw: Option<String>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The request body as JSON; an empty body is `null`.
fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, Response> {
    let bytes = body.map_err(|rejection| error(rejection.status(), format!("cannot read the request body: {}", rejection.body_text())))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("the request body is not valid JSON: {e}")))
}

pub const STATUSES: [&str; 5] = ["Pending", "Running", "Completed", "Failed", "ContinuedAsNew"];
pub const PAGE_SIZE: u32 = 50;

/// The list's filters from query parameters `status`, `name`, `q`, `limit`, `cursor`.
pub fn page_query(p: &HashMap<String, String>) -> Result<PageQuery, Response> {
    let status = p.get("status").cloned();
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(bad(format!("status '{s}' is not one of {}", STATUSES.join(", "))));
        }
    }
    let limit = match p.get("limit") {
        None => PAGE_SIZE,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| bad(format!("limit '{text}' is not a number from 1 to 1000")))?,
    };
    let after = p.get("cursor").map(|c| Cursor::decode(c)).transpose().map_err(bad)?;
    Ok(PageQuery { status, name: p.get("name").cloned(), id_contains: p.get("q").cloned(), after, limit })
}

/// A page of the list. Starts no worker has taken yet come first on the first
/// page (they have no row in the instances table until one does).
pub async fn load_page(app: &App, query: &PageQuery) -> Result<(Vec<InstanceRow>, Option<Cursor>), Response> {
    let wants_pending = query.after.is_none() && matches!(query.status.as_deref(), None | Some("Pending"));
    let mut rows = Vec::new();
    if wants_pending {
        let starts = app.client.queued_starts().await.map_err(store_failed)?;
        rows.extend(
            starts
                .into_iter()
                .filter(|s| query.name.as_ref().is_none_or(|n| *n == s.orchestration_name))
                .filter(|s| query.id_contains.as_ref().is_none_or(|q| s.instance_id.contains(q.as_str())))
                .map(|s| InstanceRow {
                    instance_id: s.instance_id,
                    orchestration_name: s.orchestration_name,
                    orchestration_version: s.orchestration_version.unwrap_or_default(),
                    current_execution_id: 0,
                    status: "Pending".into(),
                    custom_status: None,
                    created_at: 0,
                    updated_at: 0,
                    parent_instance_id: None,
                })
                .take(query.limit as usize),
        );
    }
    if query.status.as_deref() == Some("Pending") {
        return Ok((rows, None));
    }
    let page = app.store.peek().instance_page(query).await.map_err(store_failed)?;
    rows.extend(page.rows);
    Ok((rows, page.next))
}

pub async fn list(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Answer {
    let query = page_query(&params(raw))?;
    let (rows, next) = load_page(&app, &query).await?;
    Ok(Json(json!({ "instances": rows, "next": next.map(|c| c.encode()) })).into_response())
}

pub async fn instance(State(app): State<Arc<App>>, Path(id): Path<String>) -> Answer {
    let (_, document) = documents::status_document(&app.client, &id).await.map_err(lookup_failed)?;
    Ok(Json(document).into_response())
}

pub async fn history(State(app): State<Arc<App>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Answer {
    let execution = match params(raw).get("execution") {
        None => None,
        Some(n) => Some(n.parse::<u64>().map_err(|_| bad(format!("execution '{n}' is not a number")))?),
    };
    let (_, events) = documents::history(&app.client, &id, execution).await.map_err(lookup_failed)?;
    Ok(Json(json!(events)).into_response())
}

fn text_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, Response> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(bad(format!("\"{key}\" must be a string, not {other}"))),
    }
}

pub async fn start(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Answer {
    let body = match json_body(body)? {
        Value::Object(map) => map,
        _ => return Err(bad("the body must be a JSON object: {\"name\": \"Orchestration\", \"input\": ...}")),
    };
    let name = text_field(&body, "name")?.ok_or_else(|| bad("\"name\" is missing: the orchestration to start"))?;
    let version = text_field(&body, "version")?;
    let id = text_field(&body, "id")?.unwrap_or_else(|| generated_id(&name));
    check_start(&id, &name, version.as_deref()).map_err(bad)?;
    let input = body.get("input").cloned().unwrap_or(Value::Null).to_string();
    let existing = app.client.status_or_pending(&id).await.map_err(store_failed)?;
    if existing.is_found() {
        return Err(error(StatusCode::CONFLICT, format!("instance '{id}' already exists ({})", existing.status)));
    }
    app.client.start(&id, &name, input, version.as_deref()).await.map_err(store_failed)?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

pub async fn raise(State(app): State<Arc<App>>, Path((id, event)): Path<(String, String)>, body: Result<Bytes, BytesRejection>) -> Answer {
    deliver(&app, id, Delivery::Event(event), json_body(body)?).await
}

pub async fn enqueue(
    State(app): State<Arc<App>>,
    Path((id, queue)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    deliver(&app, id, Delivery::Queue(queue), json_body(body)?).await
}

/// What a POST hands an instance: an event by name, or a message on a queue.
enum Delivery {
    Event(String),
    Queue(String),
}

async fn deliver(app: &App, id: String, to: Delivery, data: Value) -> Answer {
    let (what, name) = match &to {
        Delivery::Event(name) => ("event", name),
        Delivery::Queue(name) => ("queue", name),
    };
    if name.trim().is_empty() {
        return Err(bad(format!("{what} name must not be empty")));
    }
    documents::found_status(&app.client, &id).await.map_err(lookup_failed)?;
    let sent = match &to {
        Delivery::Event(event) => app.client.raise_event(&id, event, data.to_string()).await,
        Delivery::Queue(queue) => app.client.enqueue_event(&id, queue, data.to_string()).await,
    };
    sent.map_err(store_failed)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "instanceId": id, what: name }))).into_response())
}

pub async fn cancel(State(app): State<Arc<App>>, Path(id): Path<String>, body: Result<Bytes, BytesRejection>) -> Answer {
    let reason = match json_body(body)? {
        Value::Null => None,
        Value::Object(map) => text_field(&map, "reason")?,
        _ => return Err(bad("the body must be a JSON object: {\"reason\": \"...\"} (or empty)")),
    };
    let status = documents::found_status(&app.client, &id).await.map_err(lookup_failed)?;
    if status.is_terminal() {
        return Err(error(StatusCode::CONFLICT, format!("instance '{id}' already ended ({}); nothing to cancel", status.status)));
    }
    let reason = reason.unwrap_or_else(|| "cancelled from the dashboard".into());
    app.client.cancel(&id, &reason).await.map_err(store_failed)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "instanceId": id, "cancelRequested": true, "reason": reason }))).into_response())
}

pub async fn delete(State(app): State<Arc<App>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Answer {
    let force = match params(raw).get("force").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(bad(format!("force '{other}' is not true or false"))),
    };
    if app.client.delete_pending(&id).await.map_err(store_failed)? {
        return Ok(Json(json!({ "instanceId": id, "pendingStartDeleted": true })).into_response());
    }
    let status = documents::found_status(&app.client, &id).await.map_err(lookup_failed)?;
    if !force && !status.is_terminal() {
        return Err(error(StatusCode::CONFLICT, format!("instance '{id}' is still running; delete it with force=true")));
    }
    if let Some(parent) = app.client.instance(&id).await.ok().and_then(|i| i.parent_instance_id) {
        return Err(error(StatusCode::CONFLICT, format!("instance '{id}' is a sub-orchestration of '{parent}': delete the root instead")));
    }
    let deleted = app.client.delete(&id, force).await.map_err(store_failed)?;
    Ok(Json(json!(deleted)).into_response())
}

/// Minutes of completions the metrics show.
pub const MINUTES: u32 = 15;

/// How many instances have each status, Pending (starts no worker took yet) included, in [`STATUSES`] order.
pub async fn metrics_counts(app: &App) -> Result<Vec<(String, u64)>, Response> {
    let mut counts: Vec<(String, u64)> = STATUSES.iter().map(|s| (s.to_string(), 0)).collect();
    counts[0].1 = app.client.queued_starts().await.map_err(store_failed)?.len() as u64;
    for (status, n) in app.store.peek().status_counts().await.map_err(store_failed)? {
        match counts.iter_mut().find(|(s, _)| *s == status) {
            Some(slot) => slot.1 += n,
            None => counts.push((status, n)),
        }
    }
    Ok(counts)
}

/// Counts by status (Pending included), queue depths, completions per minute.
pub async fn metrics_document(app: &App) -> Result<Value, Response> {
    let peek = app.store.peek();
    let counts: Map<String, Value> = metrics_counts(app).await?.into_iter().map(|(s, n)| (s, n.into())).collect();
    let minutes = peek.completions_per_minute(super::now_ms(), MINUTES).await.map_err(store_failed)?;
    let queues = app.client.queue_depths().await.map_err(store_failed)?;
    let in_flight = app.client.in_flight().await.map_err(store_failed)?.len();
    Ok(json!({
        "counts": counts,
        "queues": queues,
        "activitiesInFlight": in_flight,
        "completionsPerMinute": minutes,
    }))
}

pub async fn metrics(State(app): State<Arc<App>>) -> Answer {
    Ok(Json(metrics_document(&app).await?).into_response())
}

pub async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such API route: see the README's API table".into())
}
