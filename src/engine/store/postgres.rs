//! Connecting to PostgreSQL, with errors that say what went wrong once and
//! at once: a closed port is "connection refused" now, not a timeout later.

use std::time::Duration;

use duroxide_pg::PostgresProvider;

use super::location::{check_postgres_url, redact, scrub};

/// How long connecting (and creating the schema) may take before we give up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server's port may take to accept a TCP connection.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn connect(raw: &str, schema: Option<&str>) -> Result<PostgresProvider, String> {
    check_postgres_url(raw)?;
    let fail = |why: String| format!("cannot connect to PostgreSQL at {}: {why}", redact(raw));
    reach(raw).await.map_err(fail)?;
    let connect = PostgresProvider::new_with_schema(raw, schema);
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Err(_) => Err(fail(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))),
        Ok(Err(e)) => {
            // Each cause once: the driver's messages often repeat their cause's text.
            let mut said: Vec<String> = Vec::new();
            for cause in e.chain() {
                let text = cause.to_string();
                if !said.iter().any(|earlier| earlier.contains(&text)) {
                    said.push(text);
                }
            }
            Err(fail(scrub(&said.join(": "), raw)))
        }
        Ok(Ok(provider)) => Ok(provider),
    }
}

/// Whether the server's TCP port answers; skipped for Unix sockets (`?host=/path`).
async fn reach(raw: &str) -> Result<(), String> {
    let Ok(url) = url::Url::parse(raw) else { return Ok(()) };
    if url.query_pairs().any(|(key, _)| key == "host" || key == "hostaddr") {
        return Ok(());
    }
    let Some(host) = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string()) else {
        return Ok(());
    };
    let port = url.port().unwrap_or(5432);
    match tokio::time::timeout(REACH_TIMEOUT, tokio::net::TcpStream::connect((host.as_str(), port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(format!("connection refused (is PostgreSQL running and listening on {host}:{port}?)"))
        }
        Ok(Err(e)) if e.to_string().contains("lookup") => Err(format!("cannot find host '{host}' ({e})")),
        Ok(Err(e)) => Err(format!("cannot reach {host}:{port}: {e}")),
        Err(_) => Err(format!("no answer from {host}:{port} within {} s", REACH_TIMEOUT.as_secs())),
    }
}
