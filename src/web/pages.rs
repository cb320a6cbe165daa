//! The dashboard's pages, rendered on the server. The parts that change while
//! a page is open (an instance's state, the metrics) are fragments of their own
//! that `app.js` fetches again every second and swaps in without a reload.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{Form, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;

use super::api::{self, load_page, page_query, params, Answer, STATUSES};
use super::html::{duration, esc, page, pretty, short_json, status_badge, time, url_part};
use super::{auth, now_ms, timeline, App};
use crate::engine::documents::{self, queued_note, Lookup};
use crate::engine::history::HistoryEvent;
use crate::engine::store::InstanceRow;

/// An error as a page (the API's answers are JSON; people get HTML).
fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!("<h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/\">All instances</a></p>", status.as_u16(), esc(message));
    (status, Html(page("Error", "", &body))).into_response()
}

/// The API's JSON error, said again as a page.
fn as_page(response: Response) -> Response {
    let status = response.status();
    let message = match status {
        StatusCode::BAD_REQUEST => "the request's parameters are not valid",
        StatusCode::NOT_FOUND => "not found",
        _ => "the store could not be read",
    };
    error_page(status, message)
}

fn lookup_page(lookup: Lookup) -> Response {
    match &lookup {
        Lookup::Missing(m) => error_page(StatusCode::NOT_FOUND, m),
        Lookup::Failed(m) => error_page(StatusCode::INTERNAL_SERVER_ERROR, m),
    }
}

fn option(value: &str, label: &str, selected: bool) -> String {
    format!("<option value=\"{}\"{}>{}</option>", esc(value), if selected { " selected" } else { "" }, esc(label))
}

/// A link to the list with these filters (empty values left out).
fn list_link(filters: &[(&str, &str)]) -> String {
    let query: Vec<String> = filters.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", url_part(v))).collect();
    if query.is_empty() {
        "/".to_string()
    } else {
        format!("/?{}", query.join("&"))
    }
}

fn instance_link(id: &str) -> String {
    format!("<a href=\"/instances/{}\">{}</a>", url_part(id), esc(id))
}

pub async fn instances(State(app): State<Arc<App>>, RawQuery(raw): RawQuery) -> Response {
    let p = params(raw);
    let query = match page_query(&p) {
        Ok(q) => q,
        Err(_) => return error_page(StatusCode::BAD_REQUEST, "the list's filters are not valid (status, limit or cursor)"),
    };
    let (rows, next) = match load_page(&app, &query).await {
        Ok(page) => page,
        Err(e) => return as_page(e),
    };
    let counts = match api::metrics_counts(&app).await {
        Ok(c) => c,
        Err(e) => return as_page(e),
    };
    let names = app.store.peek().orchestration_names().await.unwrap_or_default();
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    let mut body = String::from("<h1>Instances</h1><div class=\"counts\">");
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let _ = write!(body, "<a class=\"chip{}\" href=\"/\">All <b>{total}</b></a>", if get("status").is_empty() { " active" } else { "" });
    for (status, n) in &counts {
        let active = if get("status") == status { " active" } else { "" };
        let _ = write!(
            body,
            "<a class=\"chip s-{}{active}\" href=\"{}\">{} <b>{n}</b></a>",
            esc(&status.to_ascii_lowercase()),
            list_link(&[("status", status)]),
            esc(status)
        );
    }
    body.push_str("</div>");
    body.push_str("<form class=\"filters\" method=\"get\" action=\"/\"><label>Status <select name=\"status\">");
    body.push_str(&option("", "any", get("status").is_empty()));
    for s in STATUSES {
        body.push_str(&option(s, s, get("status") == s));
    }
    body.push_str("</select></label><label>Orchestration <select name=\"name\">");
    body.push_str(&option("", "any", get("name").is_empty()));
    for n in &names {
        body.push_str(&option(n, n, get("name") == n));
    }
    let _ = write!(
        body,
        "</select></label><label>Id contains <input name=\"q\" value=\"{}\" placeholder=\"order-\"></label><button>Filter</button></form>",
        esc(get("q"))
    );
    body.push_str(&instance_table(&rows, now_ms()));
    body.push_str("<nav class=\"pager\">");
    if query.after.is_some() {
        let _ = write!(
            body,
            "<a href=\"{}\">First page</a>",
            esc(&list_link(&[("status", get("status")), ("name", get("name")), ("q", get("q"))]))
        );
    }
    if let Some(next) = next {
        let link = list_link(&[("status", get("status")), ("name", get("name")), ("q", get("q")), ("cursor", &next.encode())]);
        let _ = write!(body, "<a id=\"next-page\" href=\"{}\">Next page →</a>", esc(&link));
    }
    body.push_str("</nav>");
    body.push_str(&start_form(&names));
    Html(page("Instances", "Instances", &body)).into_response()
}

fn instance_table(rows: &[InstanceRow], now: u64) -> String {
    if rows.is_empty() {
        return "<p class=\"muted\" id=\"no-instances\">No instances match.</p>".into();
    }
    let mut out = String::from(
        "<table class=\"list\" id=\"instances\"><thead><tr><th>Instance</th><th>Orchestration</th><th>Version</th><th>Status</th>\
         <th>Custom status</th><th>Created</th><th>Updated</th><th>Duration</th></tr></thead><tbody>",
    );
    for r in rows {
        let ended = matches!(r.status.as_str(), "Completed" | "Failed" | "ContinuedAsNew");
        let took = match (r.created_at, ended) {
            (0, _) => "-".to_string(),
            (created, true) => duration(r.updated_at.saturating_sub(created)),
            (created, false) => duration(now.saturating_sub(created)),
        };
        let _ = write!(
            out,
            "<tr data-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"custom\">{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td></tr>",
            esc(&r.instance_id),
            instance_link(&r.instance_id),
            esc(&r.orchestration_name),
            esc(&r.orchestration_version),
            status_badge(&r.status),
            esc(&r.custom_status.as_deref().map(|c| shortened(c, 60)).unwrap_or_default()),
            time(r.created_at),
            time(r.updated_at),
            took,
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// At most `max` characters of `text`.
fn shortened(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

fn start_form(names: &[String]) -> String {
    let mut options = String::new();
    for n in names {
        options.push_str(&option(n, n, false));
    }
    format!(
        "<section class=\"card\"><h2>Start an instance</h2>\
         <form class=\"api-form\" id=\"start-form\" data-kind=\"start\">\
         <label>Orchestration <input name=\"name\" list=\"orchestration-names\" required></label>\
         <datalist id=\"orchestration-names\">{options}</datalist>\
         <label>Input (JSON) <textarea name=\"input\" rows=\"3\">null</textarea></label>\
         <label>Id (optional) <input name=\"id\"></label>\
         <label>Version (optional) <input name=\"version\" placeholder=\"1.0.0\"></label>\
         <button>Start</button><output class=\"result\"></output></form></section>"
    )
}

pub async fn instance(State(app): State<Arc<App>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Response {
    let execution = match execution_param(&params(raw)) {
        Ok(e) => e,
        Err(e) => return as_page(e),
    };
    let live = match live_instance(&app, &id, execution).await {
        Ok(html) => html,
        Err(lookup) => return lookup_page(lookup),
    };
    let path = url_part(&id);
    let live_url = match execution {
        Some(n) => format!("/instances/{path}/live?execution={n}"),
        None => format!("/instances/{path}/live"),
    };
    let body = format!(
        "<h1>Instance <code>{}</code></h1><div id=\"live\" data-live=\"{}\">{live}</div>{}",
        esc(&id),
        esc(&live_url),
        action_forms(&id),
    );
    Html(page(&id, "", &body)).into_response()
}

pub async fn instance_live(State(app): State<Arc<App>>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Response {
    let execution = match execution_param(&params(raw)) {
        Ok(e) => e,
        Err(e) => return e,
    };
    match live_instance(&app, &id, execution).await {
        Ok(html) => Html(html).into_response(),
        Err(lookup) => api::lookup_failed(lookup),
    }
}

fn execution_param(p: &HashMap<String, String>) -> Result<Option<u64>, Response> {
    p.get("execution")
        .map(|n| n.parse::<u64>().map_err(|_| api::error(StatusCode::BAD_REQUEST, format!("execution '{n}' is not a number"))))
        .transpose()
}

/// Everything about the instance that changes while it runs.
async fn live_instance(app: &App, id: &str, execution: Option<u64>) -> Result<String, Lookup> {
    let client = &app.client;
    let status = documents::found_status(client, id).await?;
    let mut out = String::new();
    if let Some(start) = &status.queued {
        let version = start.orchestration_version.as_deref().unwrap_or("latest");
        let _ = write!(
            out,
            "<div class=\"state\" data-status=\"Pending\" data-final=\"false\"><p>{} <b>{}</b> {}</p><p class=\"muted\">{}</p></div>",
            status_badge("Pending"),
            esc(&start.orchestration_name),
            esc(version),
            esc(&queued_note(start))
        );
        return Ok(out);
    }
    // Read once each: the page is fetched again every second while it is open.
    let info = client.instance(id).await.map_err(Lookup::Failed)?;
    let shown = execution.unwrap_or(info.current_execution_id);
    let events = documents::execution_history(client, id, shown).await?;
    let executions = client.executions(id).await.map_err(Lookup::Failed)?;
    let values = client.values(id).await.unwrap_or_default();
    let now = now_ms();
    // An earlier execution of a continue-as-new chain does not change any more.
    let final_state = status.is_terminal() || execution.is_some_and(|n| n < info.current_execution_id);
    let _ = write!(out, "<div class=\"state\" data-status=\"{}\" data-final=\"{final_state}\">", esc(&status.status));
    let ended = status.is_terminal();
    let took =
        if ended { duration(info.updated_at.saturating_sub(info.created_at)) } else { duration(now.saturating_sub(info.created_at)) };
    out.push_str("<table class=\"fields\">");
    let mut field = |name: &str, html: String| {
        let _ = write!(out, "<tr><th>{name}</th><td>{html}</td></tr>");
    };
    field("Status", format!("<span id=\"status\">{}</span>", status_badge(&status.status)));
    field("Orchestration", format!("{} <span class=\"muted\">{}</span>", esc(&info.orchestration_name), esc(&info.orchestration_version)));
    field("Created", time(info.created_at));
    field("Updated", time(info.updated_at));
    field(if ended { "Took" } else { "Running for" }, took);
    if let Some(parent) = &info.parent_instance_id {
        field("Parent", instance_link(parent));
    }
    let input = events.first().and_then(|e| e.data.as_deref()).and_then(|d| serde_json::from_str::<Value>(d).ok());
    if let Some(input) = input.as_ref().and_then(|d| d.get("input")) {
        field("Input", format!("<pre id=\"input\">{}</pre>", esc(&serde_json::to_string_pretty(input).unwrap_or_default())));
    }
    if let Some(output) = &status.output {
        field("Output", format!("<pre id=\"output\">{}</pre>", esc(&pretty(output))));
    }
    if let Some(error) = &status.error {
        field("Error", format!("<pre id=\"error\" class=\"error\">{}</pre>", esc(error)));
    }
    if let Some(custom) = &status.custom_status {
        field(
            "Custom status",
            format!(
                "<pre id=\"custom-status\">{}</pre> <span class=\"muted\">version {}</span>",
                esc(&pretty(custom)),
                status.custom_status_version
            ),
        );
    }
    out.push_str("</table>");
    if !values.is_empty() {
        out.push_str("<h2>Values</h2><table class=\"list\" id=\"values\"><tr><th>Key</th><th>Value</th></tr>");
        for (k, v) in &values {
            let _ = write!(out, "<tr><td>{}</td><td><pre>{}</pre></td></tr>", esc(k), esc(&pretty(v)));
        }
        out.push_str("</table>");
    }
    out.push_str("<h2>Executions</h2><p class=\"executions\">");
    for n in &executions {
        let class = if *n == shown { " class=\"active\"" } else { "" };
        let _ = write!(out, "<a{class} href=\"/instances/{}?execution={n}\">#{n}</a> ", url_part(id));
    }
    if executions.len() > 1 {
        out.push_str("<span class=\"muted\">(continued as new)</span>");
    }
    out.push_str("</p>");
    let children: Vec<String> = events
        .iter()
        .filter(|e| e.kind == "SubOrchestrationScheduled")
        .filter_map(|e| e.data.as_deref().and_then(|d| serde_json::from_str::<Value>(d).ok()))
        .filter_map(|d| d.get("instance").and_then(Value::as_str).map(|child| child_id(id, child)))
        .collect();
    if !children.is_empty() {
        out.push_str("<h2>Sub-orchestrations</h2><ul class=\"children\">");
        for child in &children {
            let _ = write!(out, "<li>{}</li>", instance_link(child));
        }
        out.push_str("</ul>");
    }
    let bars = timeline::bars(&events);
    let _ = write!(
        out,
        "<h2>Timeline <span class=\"muted\">execution {shown}</span></h2><div class=\"timeline-box\">{}</div>",
        timeline::svg(&events, &bars, now)
    );
    out.push_str(&history_table(&events));
    out.push_str("</div>");
    Ok(out)
}

/// A child's instance id: history records duroxide's generated ids as `sub::N`, which it prefixes with the parent's.
fn child_id(parent: &str, recorded: &str) -> String {
    if recorded.starts_with(duroxide::SUB_ORCH_AUTO_PREFIX) {
        format!("{parent}::{recorded}")
    } else {
        recorded.to_string()
    }
}

fn history_table(events: &[HistoryEvent]) -> String {
    let mut out = String::from(
        "<h2>History</h2><table class=\"list\" id=\"history\"><thead><tr><th>Event</th><th>Time</th><th>Kind</th><th>For</th><th>Data</th></tr></thead><tbody>",
    );
    for e in events {
        let data =
            e.data.as_deref().map(|d| serde_json::from_str::<Value>(d).map(|v| short_json(&v, 160)).unwrap_or_else(|_| d.to_string()));
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            e.event_id,
            super::html::time_of_day(e.timestamp_ms),
            esc(&e.kind),
            e.source_event_id.map(|s| s.to_string()).unwrap_or_default(),
            esc(&data.unwrap_or_default()),
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn action_forms(id: &str) -> String {
    let path = esc(&format!("/api/instances/{}", url_part(id)));
    format!(
        "<section class=\"card actions\"><h2>Actions</h2>\
         <form class=\"api-form\" id=\"raise-form\" data-kind=\"raise\" data-base=\"{path}\"><h3>Raise an event</h3>\
         <label>Event <input name=\"event\" required></label><label>Data (JSON) <textarea name=\"data\" rows=\"2\">null</textarea></label>\
         <button>Raise</button><output class=\"result\"></output></form>\
         <form class=\"api-form\" id=\"enqueue-form\" data-kind=\"enqueue\" data-base=\"{path}\"><h3>Enqueue a message</h3>\
         <label>Queue <input name=\"queue\" required></label><label>Message (JSON) <textarea name=\"message\" rows=\"2\">null</textarea></label>\
         <button>Enqueue</button><output class=\"result\"></output></form>\
         <form class=\"api-form\" id=\"cancel-form\" data-kind=\"cancel\" data-base=\"{path}\"><h3>Cancel</h3>\
         <label>Reason <input name=\"reason\" placeholder=\"why\"></label><button>Cancel instance</button><output class=\"result\"></output></form>\
         <form class=\"api-form\" id=\"delete-form\" data-kind=\"delete\" data-base=\"{path}\"><h3>Delete</h3>\
         <label class=\"inline\"><input type=\"checkbox\" name=\"force\"> force (it is still running)</label>\
         <button class=\"danger\">Delete instance</button><output class=\"result\"></output></form></section>"
    )
}

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    match live_metrics(&app).await {
        Ok(html) => Html(page("Metrics", "Metrics", &format!("<h1>Metrics</h1><div id=\"live\" data-live=\"/metrics/live\">{html}</div>")))
            .into_response(),
        Err(e) => as_page(e),
    }
}

pub async fn metrics_live(State(app): State<Arc<App>>) -> Answer {
    Ok(Html(live_metrics(&app).await?).into_response())
}

async fn live_metrics(app: &App) -> Result<String, Response> {
    let m = api::metrics_document(app).await?;
    let mut out =
        String::from("<div class=\"state\" data-final=\"false\"><h2>Instances by status</h2><div class=\"counts\" id=\"metric-counts\">");
    if let Some(counts) = m["counts"].as_object() {
        for (status, n) in counts {
            let _ = write!(
                out,
                "<a class=\"chip s-{}\" href=\"{}\">{} <b>{}</b></a>",
                esc(&status.to_ascii_lowercase()),
                list_link(&[("status", status)]),
                esc(status),
                n
            );
        }
    }
    out.push_str("</div><h2>Queues</h2><table class=\"fields\" id=\"queues\">");
    for (name, key) in
        [("Orchestrator queue", "orchestratorQueue"), ("Worker queue (activities)", "workerQueue"), ("Timer queue", "timerQueue")]
    {
        let _ = write!(out, "<tr><th>{name}</th><td>{}</td></tr>", m["queues"][key]);
    }
    let _ = write!(out, "<tr><th>Activities running now</th><td>{}</td></tr></table>", m["activitiesInFlight"]);
    let _ = write!(out, "<h2>Completions, last {} minutes</h2>{}", api::MINUTES, completions_chart(&m["completionsPerMinute"]));
    out.push_str("</div>");
    Ok(out)
}

/// One stacked bar per minute: completed, failed, continued as new.
fn completions_chart(minutes: &Value) -> String {
    let Some(minutes) = minutes.as_array() else { return String::new() };
    let count = |m: &Value, k: &str| m[k].as_u64().unwrap_or(0);
    let most = minutes.iter().map(|m| count(m, "completed") + count(m, "failed") + count(m, "continuedAsNew")).max().unwrap_or(0).max(1);
    let (w, h, bar) = (720.0, 160.0, 720.0 / minutes.len().max(1) as f64);
    let mut out =
        format!("<svg class=\"chart\" id=\"completions\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\">", h + 20.0, h + 20.0);
    for (i, m) in minutes.iter().enumerate() {
        let x = i as f64 * bar + 2.0;
        let mut y = h;
        let at = super::html::time(m["minute"].as_u64().unwrap_or(0));
        for (key, class) in [("completed", "ok"), ("failed", "failed"), ("continuedAsNew", "open")] {
            let n = count(m, key);
            if n == 0 {
                continue;
            }
            let height = n as f64 / most as f64 * (h - 10.0);
            y -= height;
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height:.1}\"><title>{} {key}: {n}</title></rect>",
                bar - 4.0,
                esc(&at)
            );
        }
        if i % 5 == 0 || i + 1 == minutes.len() {
            let _ = write!(out, "<text class=\"axis\" x=\"{x:.1}\" y=\"{}\">{}</text>", h + 14.0, esc(at.get(11..16).unwrap_or("")));
        }
    }
    let total: u64 = minutes.iter().map(|m| count(m, "completed") + count(m, "failed") + count(m, "continuedAsNew")).sum();
    let _ = write!(out, "<text class=\"axis\" x=\"{}\" y=\"10\" text-anchor=\"end\">busiest minute {most}, {total} in all</text>", w - 4.0);
    out.push_str("</svg>");
    out
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    token: String,
    next: Option<String>,
}

fn login_page(next: &str, wrong: bool) -> String {
    let note = if wrong { "<p class=\"error\" id=\"login-error\">That is not this dashboard's token.</p>" } else { "" };
    page(
        "Log in",
        "",
        &format!(
            "<h1>Log in</h1>{note}<form class=\"card\" method=\"post\" action=\"/login\">\
             <label>Token <input type=\"password\" name=\"token\" autofocus required></label>\
             <input type=\"hidden\" name=\"next\" value=\"{}\"><button>Log in</button></form>",
            esc(next)
        ),
    )
}

pub async fn login_form(RawQuery(raw): RawQuery) -> Response {
    let next = auth::local_target(params(raw).get("next").map(String::as_str));
    Html(login_page(&next, false)).into_response()
}

pub async fn login(State(app): State<Arc<App>>, Form(form): Form<LoginForm>) -> Response {
    match &app.token {
        Some(token) if auth::authorized(&bearer(&form.token), token) => auth::logged_in(token, form.next.as_deref()),
        Some(_) => (StatusCode::UNAUTHORIZED, Html(login_page(&auth::local_target(form.next.as_deref()), true))).into_response(),
        None => auth::logged_in("", form.next.as_deref()),
    }
}

/// The form's token as the header [`auth::authorized`] checks.
fn bearer(token: &str) -> axum::http::HeaderMap {
    let mut headers = axum::http::HeaderMap::new();
    if let Ok(value) = format!("Bearer {token}").parse() {
        headers.insert(axum::http::header::AUTHORIZATION, value);
    }
    headers
}
