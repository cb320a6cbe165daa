//! Opening history stores and handing them to JS as small integer handles.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use duroxide::providers::sqlite::SqliteProvider;
use duroxide::ProviderRef;

use super::host_store::HostStore;

static STORES: Mutex<Vec<ProviderRef>> = Mutex::new(Vec::new());

pub fn add(store: ProviderRef) -> u32 {
    let mut stores = STORES.lock().unwrap_or_else(|e| e.into_inner());
    stores.push(store);
    (stores.len() - 1) as u32
}

pub fn get(handle: u32) -> Result<ProviderRef, String> {
    let stores = STORES.lock().unwrap_or_else(|e| e.into_inner());
    stores
        .get(handle as usize)
        .cloned()
        .ok_or_else(|| format!("unknown store handle {handle}: pass a provider made by SqliteProvider.open/inMemory"))
}

/// Where a SQLite location string points.
#[derive(Debug, PartialEq)]
pub enum SqliteTarget {
    Memory,
    File(PathBuf),
}

/// Accepts `sqlite:path`, `sqlite://path`, a bare path, or `:memory:`.
pub fn parse_sqlite_location(raw: &str) -> Result<SqliteTarget, String> {
    let rest = raw
        .strip_prefix("sqlite://")
        .or_else(|| raw.strip_prefix("sqlite:"))
        .unwrap_or(raw);
    if rest == ":memory:" {
        return Ok(SqliteTarget::Memory);
    }
    if rest.trim().is_empty() {
        return Err(format!("invalid SQLite location '{raw}': expected a file path such as sqlite:./app.db"));
    }
    Ok(SqliteTarget::File(PathBuf::from(rest)))
}

static MEMORY_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub async fn open_sqlite(raw: &str) -> Result<ProviderRef, String> {
    let path = match parse_sqlite_location(raw)? {
        SqliteTarget::Memory => return open_in_memory().await,
        SqliteTarget::File(path) => path,
    };
    let fail = |why: String| format!("cannot open SQLite database {}: {why}", path.display());
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| fail(format!("cannot create folder {}: {e}", parent.display())))?;
    }
    if path.is_dir() {
        return Err(fail("it is a directory".into()));
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| fail(e.to_string()))?;
    let provider = {
        let _creating = SchemaLock::take(&path).await;
        SqliteProvider::new(&format!("sqlite:{}", path.display()), None).await.map_err(|e| fail(e.to_string()))?
    };
    Ok(Arc::new(HostStore::serialized(Arc::new(provider))))
}

/// Held while a process opens a SQLite file: duroxide creates and migrates
/// the schema on open, and two processes doing it at once fail with
/// "duplicate column" or "no such column". An advisory lock on the folder,
/// not the file, so it never touches SQLite's own locks on the database.
struct SchemaLock(Option<std::fs::File>);

impl SchemaLock {
    /// Waits without blocking the thread: this process may be opening
    /// another database in the same folder concurrently.
    async fn take(db: &std::path::Path) -> SchemaLock {
        use std::os::fd::AsRawFd;
        let folder = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        // Best effort: where the folder cannot be locked, open as before.
        let Ok(file) = std::fs::File::open(folder) else { return SchemaLock(None) };
        let give_up = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return SchemaLock(Some(file));
            }
            let busy = std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock;
            if !busy || tokio::time::Instant::now() > give_up {
                return SchemaLock(None);
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

impl Drop for SchemaLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        if let Some(f) = &self.0 {
            // SAFETY: as above; closing the file would release it too.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
        }
    }
}

/// Each in-memory store is its own database (duroxide's own helper shares one
/// per process, which would leak state between providers of one script).
pub async fn open_in_memory() -> Result<ProviderRef, String> {
    let n = MEMORY_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let url = format!("sqlite:file:duroxide-memory-{}-{n}?mode=memory&cache=shared", std::process::id());
    let provider = SqliteProvider::new(&url, None)
        .await
        .map_err(|e| format!("cannot create in-memory SQLite database: {e}"))?;
    Ok(Arc::new(HostStore::serialized(Arc::new(provider))))
}

/// How long connecting to PostgreSQL may take before we give up.
const PG_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The URL as it may be shown: the password replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    if let Ok(mut url) = deno_core::url::Url::parse(raw) {
        if url.password().is_none() {
            return url.to_string();
        }
        // Refused for URLs without a host; those are redacted as text below.
        if url.set_password(Some("***")).is_ok() {
            return url.to_string();
        }
    }
    match (raw.find("://"), raw.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}://***@{}", &raw[..scheme_end], &raw[at + 1..]),
        _ => raw.to_string(),
    }
}

pub fn check_postgres_url(raw: &str) -> Result<(), String> {
    let shown = redact_url(raw);
    let url = deno_core::url::Url::parse(raw).map_err(|e| format!("invalid PostgreSQL URL '{shown}': {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!("invalid PostgreSQL URL '{shown}': it must start with postgres:// or postgresql://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("invalid PostgreSQL URL '{shown}': it names no host"));
    }
    Ok(())
}

pub async fn open_postgres(raw: &str, schema: Option<&str>) -> Result<ProviderRef, String> {
    check_postgres_url(raw)?;
    let shown = redact_url(raw);
    let password = deno_core::url::Url::parse(raw).ok().and_then(|u| u.password().map(String::from));
    let connect = duroxide_pg::PostgresProvider::new_with_schema(raw, schema);
    let provider = match tokio::time::timeout(PG_CONNECT_TIMEOUT, connect).await {
        Err(_) => return Err(format!("cannot connect to PostgreSQL at {shown}: no answer within {} s", PG_CONNECT_TIMEOUT.as_secs())),
        Ok(Err(e)) => {
            let mut why = format!("{e:#}");
            if let Some(p) = password.filter(|p| !p.is_empty()) {
                why = why.replace(&p, "***");
            }
            return Err(format!("cannot connect to PostgreSQL at {shown}: {why}"));
        }
        Ok(Ok(p)) => p,
    };
    Ok(Arc::new(HostStore::concurrent(Arc::new(provider))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_locations() {
        assert_eq!(parse_sqlite_location("sqlite:a/b.db").unwrap(), SqliteTarget::File("a/b.db".into()));
        assert_eq!(parse_sqlite_location("sqlite:///tmp/x.db").unwrap(), SqliteTarget::File("/tmp/x.db".into()));
        assert_eq!(parse_sqlite_location("plain.db").unwrap(), SqliteTarget::File("plain.db".into()));
        assert_eq!(parse_sqlite_location("sqlite::memory:").unwrap(), SqliteTarget::Memory);
        assert!(parse_sqlite_location("sqlite:").is_err());
    }

    #[test]
    fn postgres_urls_are_shown_without_password() {
        assert_eq!(redact_url("postgres://u:secret@db:5432/app"), "postgres://u:***@db:5432/app");
        assert_eq!(redact_url("postgres://u@db/app"), "postgres://u@db/app");
        assert_eq!(redact_url("postgres://u:se cret@db/app"), "postgres://u:***@db/app");
        assert_eq!(redact_url("postgres://u:pw@[bad/app"), "postgres://***@[bad/app");
        assert!(check_postgres_url("mysql://u:p@h/db").unwrap_err().contains("must start with postgres://"));
        assert!(check_postgres_url("postgres://u:pw@/db").unwrap_err().starts_with("invalid PostgreSQL URL 'postgres://***@/db'"));
        assert!(check_postgres_url("postgres://u:pw@db:5432/app").is_ok());
    }
}
