//! Arguments several verbs share, and parsing of the values they carry.

use std::time::Duration;

use clap::Args;
use serde_json::Value;

use crate::engine::client::Client;
use crate::engine::store::{self, Durability, Store, StoreOptions};
use crate::failure::Failure;

#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// History store: sqlite:PATH, postgres://USER:PASS@HOST/DB, or sqlite+sqlx:PATH for duroxide's built-in SQLite provider
    #[arg(long, env = "DUROXIDE_STORE", default_value = "sqlite:./duroxide.db", global = true)]
    pub store: String,
    /// PostgreSQL schema (created if missing)
    #[arg(long, env = "DUROXIDE_SCHEMA", global = true)]
    pub schema: Option<String>,
    /// SQLite commits: normal survives a crash of the process, full (an fsync per commit) also a power loss
    #[arg(long, env = "DUROXIDE_SQLITE_SYNC", value_enum, default_value_t = SqliteSync::Normal, global = true)]
    pub sqlite_sync: SqliteSync,
}

/// `--sqlite-sync`: SQLite's `synchronous` setting for our store's commits.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum SqliteSync {
    Normal,
    Full,
}

impl SqliteSync {
    pub fn durability(self) -> Durability {
        match self {
            SqliteSync::Normal => Durability::Normal,
            SqliteSync::Full => Durability::Full,
        }
    }
}

impl StoreArgs {
    /// Opens the store for a worker, creating a SQLite file if needed.
    pub async fn open_or_create(&self, options: &StoreOptions) -> Result<Store, Failure> {
        store::open(&self.store, self.schema.as_deref(), options).await.map_err(Failure::Usage)
    }

    /// A client of an existing store, for management verbs: a missing SQLite
    /// file is an error rather than a new, empty database.
    pub async fn client(&self) -> Result<Client, Failure> {
        Ok(Client::new(&self.open_existing().await?))
    }

    /// An existing store (a missing SQLite file is an error rather than a new, empty database).
    pub async fn open_existing(&self) -> Result<Store, Failure> {
        if let store::Location::Sqlite(store::SqliteTarget::File(path)) = store::parse_location(&self.store).map_err(Failure::Usage)? {
            if path.is_dir() {
                return Err(Failure::Usage(format!("the store {} is a directory, not a SQLite database file", path.display())));
            }
            if !path.is_file() {
                return Err(Failure::Usage(format!(
                    "no store at {}: pass --store (or set DUROXIDE_STORE) to point at an existing one",
                    path.display()
                )));
            }
        }
        self.open_or_create(&StoreOptions { sqlite_sync: self.sqlite_sync.durability(), ..StoreOptions::default() }).await
    }
}

/// A JSON flag value (`--input`, `--data`): the JSON itself, `@FILE` for a
/// file's content, or `-` for standard input. Text that is not JSON is an error.
pub fn json_arg(flag: &str, text: Option<&str>) -> Result<String, Failure> {
    let Some(text) = text else { return Ok("null".into()) };
    let (content, source) = match text {
        "-" => (read_stdin(flag)?, "standard input".to_string()),
        _ if text.starts_with('@') => {
            let path = &text[1..];
            let content = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{flag} {text}: cannot read {path}: {e}")))?;
            (content, path.to_string())
        }
        _ => return parse_json(flag, text, None),
    };
    parse_json(flag, &content, Some(&source))
}

fn read_stdin(flag: &str) -> Result<String, Failure> {
    let mut content = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut content)
        .map_err(|e| Failure::Usage(format!("{flag} -: cannot read standard input: {e}")))?;
    Ok(content)
}

fn parse_json(flag: &str, text: &str, source: Option<&str>) -> Result<String, Failure> {
    serde_json::from_str::<Value>(text).map(|v| v.to_string()).map_err(|e| {
        let origin = source.map(|s| format!(" (read from {s})")).unwrap_or_default();
        let hint =
            if source.is_none() { format!("\n  (a string needs quotes: {flag} '\"text\"'; a file: {flag} @FILE)") } else { String::new() };
        Failure::Usage(format!("{flag} is not valid JSON{origin} ({e}): {}{hint}", shortened(text.trim())))
    })
}

/// At most [`SHOWN`] characters of a bad value: errors stay one readable line.
fn shortened(text: &str) -> String {
    const SHOWN: usize = 80;
    match text.char_indices().nth(SHOWN) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}... ({} bytes in all)", &text[..cut], text.len()),
    }
}

/// `500ms`, `30s`, `5m`, `2h`, `1d`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("invalid duration '{text}': expected e.g. 30s, 5m, 2h"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        "d" => value * 86400.0,
        _ => return Err(format!("invalid duration '{text}': unit must be ms, s, m, h or d")),
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("invalid duration '{text}'"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A current-thread tokio runtime for verbs that run no JavaScript.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime").block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn json_flags() {
        assert_eq!(json_arg("--input", Some(r#"{"a": 1}"#)).unwrap(), r#"{"a":1}"#);
        assert_eq!(json_arg("--input", None).unwrap(), "null");
        let err = json_arg("--input", Some("hello")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message().starts_with("--input is not valid JSON"));
        let long = format!("[{}", "1,".repeat(50_000));
        let err = json_arg("--input", Some(&long)).unwrap_err();
        assert!(err.message().contains("... (100001 bytes in all)"), "{}", err.message());
        assert!(err.message().len() < 300, "{}", err.message());
    }
}
