//! Where `--store` points, and how to show it: credentials never leave this
//! process in a message, whatever the text looks like (a URL of a scheme we
//! do not know, or one with a typo, is redacted all the same).

use std::path::PathBuf;
use std::sync::LazyLock;

use regex::Regex;

/// Where a SQLite location string points.
#[derive(Debug, PartialEq)]
pub enum SqliteTarget {
    Memory,
    File(PathBuf),
}

/// A store location that was understood.
#[derive(Debug, PartialEq)]
pub enum Location {
    Sqlite(SqliteTarget),
    Postgres(String),
}

const EXPECTED: &str = "use sqlite:PATH for a file, or postgres://USER:PASSWORD@HOST/DB";

/// Reads `--store`: `sqlite:path`, `sqlite://path`, a bare path, `:memory:`,
/// `sqlite+sqlx:...` (the same, through duroxide's built-in provider), or
/// `postgres://...`. Other schemes, and text that looks like a mistyped URL,
/// are refused rather than taken as a file name.
pub fn parse_location(raw: &str) -> Result<Location, String> {
    if is_postgres_url(raw) {
        check_postgres_url(raw)?;
        return Ok(Location::Postgres(raw.to_string()));
    }
    if raw.starts_with("sqlite:") || raw.starts_with(BUILT_IN) || raw == ":memory:" {
        return parse_sqlite_location(raw).map(Location::Sqlite);
    }
    let shown = redact(raw);
    if let Some(scheme) = scheme_of(raw) {
        return Err(format!("unknown store '{shown}': '{scheme}' is not a store duroxide knows ({EXPECTED})"));
    }
    if looks_like_a_url(raw) {
        return Err(format!("the store '{shown}' looks like a mistyped URL ({EXPECTED})"));
    }
    parse_sqlite_location(raw).map(Location::Sqlite)
}

/// `mysql` of `mysql://...` or `redis:...`; one letter before a colon is not a scheme.
fn scheme_of(raw: &str) -> Option<&str> {
    static SCHEME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([A-Za-z][A-Za-z0-9+.-]+):").unwrap());
    SCHEME.captures(raw).map(|c| c.get(1).map_or("", |m| m.as_str()))
}

/// `postgres//u:pw@host/db`, `user:pw@host/db`: credentials or a scheme's
/// slashes where a file path would have neither.
fn looks_like_a_url(raw: &str) -> bool {
    CREDENTIALS.is_match(raw) || raw.starts_with("postgres") && raw.contains("//")
}

/// The scheme that picks duroxide's own SQLite provider instead of ours.
const BUILT_IN: &str = "sqlite+sqlx:";

/// Whether a SQLite location asks for duroxide's built-in provider (`sqlite+sqlx:PATH`).
pub fn wants_built_in_sqlite(raw: &str) -> bool {
    raw.starts_with(BUILT_IN)
}

/// Accepts `sqlite:path`, `sqlite://path`, a bare path, or `:memory:`, each
/// also with `sqlite+sqlx:` in place of `sqlite:`.
pub fn parse_sqlite_location(raw: &str) -> Result<SqliteTarget, String> {
    let rest = raw.strip_prefix(BUILT_IN).map_or(raw, |rest| rest.strip_prefix("//").unwrap_or(rest));
    let rest = rest.strip_prefix("sqlite://").or_else(|| rest.strip_prefix("sqlite:")).unwrap_or(rest);
    if rest == ":memory:" {
        return Ok(SqliteTarget::Memory);
    }
    if rest.trim().is_empty() {
        return Err(format!("invalid SQLite location '{}': expected a file path such as sqlite:./app.db", redact(raw)));
    }
    Ok(SqliteTarget::File(PathBuf::from(rest)))
}

fn is_postgres_url(raw: &str) -> bool {
    raw.starts_with("postgres://") || raw.starts_with("postgresql://")
}

pub fn check_postgres_url(raw: &str) -> Result<(), String> {
    let shown = redact(raw);
    let url = url::Url::parse(raw).map_err(|e| format!("invalid PostgreSQL URL '{shown}': {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!("invalid PostgreSQL URL '{shown}': it must start with postgres:// or postgresql://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("invalid PostgreSQL URL '{shown}': it names no host"));
    }
    Ok(())
}

/// `user:password@` in any text.
static CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([^\s:/@?#]+):([^@/]*)@").unwrap());
/// `?password=...` and its relatives in a query string.
static QUERY_SECRET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)([?&](?:password|passwd|pwd|pass|sslpassword)=)([^&\s#]*)").unwrap());

/// The text as it may be shown: every password replaced by `***`.
pub fn redact(text: &str) -> String {
    let text = CREDENTIALS.replace_all(text, "$1:***@");
    QUERY_SECRET.replace_all(&text, "$1***").into_owned()
}

/// The secrets in a location, to scrub from messages that quote them in
/// other forms (a driver's error may print the password decoded).
pub fn secrets(raw: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for captures in CREDENTIALS.captures_iter(raw).chain(QUERY_SECRET.captures_iter(raw)) {
        let secret = captures.get(2).map_or("", |m| m.as_str());
        if !secret.is_empty() {
            found.push(secret.to_string());
            let decoded = url::form_urlencoded::parse(format!("x={secret}").as_bytes()).next().map(|(_, v)| v.into_owned());
            found.extend(decoded);
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

/// `message` with every secret of `raw` replaced by `***`.
pub fn scrub(message: &str, raw: &str) -> String {
    let mut message = redact(message);
    for secret in secrets(raw) {
        message = message.replace(&secret, "***");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_locations() {
        let file = |p: &str| Ok(Location::Sqlite(SqliteTarget::File(p.into())));
        assert_eq!(parse_location("sqlite:a/b.db"), file("a/b.db"));
        assert_eq!(parse_location("sqlite:///tmp/x.db"), file("/tmp/x.db"));
        assert_eq!(parse_location("plain.db"), file("plain.db"));
        assert_eq!(parse_location("./dir/with:colon.db"), file("./dir/with:colon.db"));
        assert_eq!(parse_location("sqlite::memory:"), Ok(Location::Sqlite(SqliteTarget::Memory)));
        assert_eq!(parse_location(":memory:"), Ok(Location::Sqlite(SqliteTarget::Memory)));
        assert!(parse_location("sqlite:").is_err());
        assert_eq!(parse_location("sqlite+sqlx:a/b.db"), file("a/b.db"));
        assert_eq!(parse_location("sqlite+sqlx:///tmp/x.db"), file("/tmp/x.db"));
        assert_eq!(parse_location("sqlite+sqlx::memory:"), Ok(Location::Sqlite(SqliteTarget::Memory)));
        assert!(wants_built_in_sqlite("sqlite+sqlx:a.db"));
        assert!(!wants_built_in_sqlite("sqlite:a.db") && !wants_built_in_sqlite("a.db"));
        assert!(parse_location("sqlite+sqlx:").is_err());
    }

    #[test]
    fn unknown_schemes_and_typos_are_refused_without_their_password() {
        assert_eq!(
            parse_location("mysql://root:hunter2@db/x").unwrap_err(),
            "unknown store 'mysql://root:***@db/x': 'mysql' is not a store duroxide knows \
             (use sqlite:PATH for a file, or postgres://USER:PASSWORD@HOST/DB)"
        );
        assert_eq!(
            parse_location("postgres//user:pw@host/db").unwrap_err(),
            "the store 'postgres//user:***@host/db' looks like a mistyped URL \
             (use sqlite:PATH for a file, or postgres://USER:PASSWORD@HOST/DB)"
        );
        assert!(parse_location("user:pw@host/db").unwrap_err().starts_with("unknown store 'user:***@host/db'"));
        assert!(parse_location("postgres:/u:pw@h/db").unwrap_err().starts_with("unknown store 'postgres:/u:***@h/db'"));
        assert!(parse_location("postgres://u:pw@/db").unwrap_err().starts_with("invalid PostgreSQL URL 'postgres://u:***@/db'"));
        assert_eq!(parse_location("postgres://u:pw@db:5432/app"), Ok(Location::Postgres("postgres://u:pw@db:5432/app".into())));
    }

    #[test]
    fn every_password_is_redacted() {
        assert_eq!(redact("postgres://u:secret@db:5432/app"), "postgres://u:***@db:5432/app");
        assert_eq!(redact("postgres://u@db/app"), "postgres://u@db/app");
        assert_eq!(redact("postgres://u:se cret@db/app"), "postgres://u:***@db/app");
        assert_eq!(redact("postgres://db/app?user=u&password=hunter2&sslmode=off"), "postgres://db/app?user=u&password=***&sslmode=off");
        assert_eq!(redact("postgres://db/app?PASSWORD=x"), "postgres://db/app?PASSWORD=***");
        assert_eq!(redact("error at postgres://a:b@h/d: refused"), "error at postgres://a:***@h/d: refused");
        assert_eq!(
            scrub("password authentication failed for p@ss w0rd", "postgres://u:p%40ss%20w0rd@h/d"),
            "password authentication failed for ***"
        );
    }
}
