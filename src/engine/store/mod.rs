//! History stores: opening SQLite and PostgreSQL, and the decorators this
//! process puts around the provider, each with one job (outermost first):
//! - [`NondeterminismNotes`]: names the JS line behind a nondeterminism failure;
//! - [`WakeUps`]: dispatchers and client waits react at once to work stored here;
//! - [`HeldLocks`] (per runtime, around all of these): the locks a runtime
//!   holds, handed back when it stops;
//! - [`SqliteGuard`]: one call at a time into a SQLite file, writes refused by
//!   another process's lock tried again.
//!
//! Everything above this module talks to a [`Store`]: the outermost provider
//! plus the wake-ups it carries, so client waits can use them.

mod held_locks;
mod nondeterminism_notes;
mod sqlite_guard;
#[cfg(test)]
mod validation;
mod wake_ups;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use duroxide::providers::sqlite::SqliteProvider;
use duroxide::ProviderRef;

pub use held_locks::{HeldLocks, Released};
pub use nondeterminism_notes::{NondeterminismNotes, YieldSites};
pub use sqlite_guard::SqliteGuard;
pub use wake_ups::WakeUps;

/// An opened store as this process uses it.
#[derive(Clone)]
pub struct Store {
    provider: ProviderRef,
    wake_ups: Option<Arc<WakeUps>>,
}

impl Store {
    /// The outermost provider: what runtimes and clients are given.
    pub fn provider(&self) -> ProviderRef {
        self.provider.clone()
    }

    /// The in-process notifications, unless turned off.
    pub fn wake_ups(&self) -> Option<&WakeUps> {
        self.wake_ups.as_deref()
    }
}

/// How stores are decorated; the same for every store a process opens.
#[derive(Clone, Default)]
pub struct StoreOptions {
    /// In-process wake-ups (off only to measure what they buy).
    pub no_wake_ups: bool,
    /// Where yields were made, for nondeterminism failures (None: no notes).
    pub yield_sites: Option<Arc<dyn YieldSites>>,
}

impl StoreOptions {
    fn decorate(&self, provider: ProviderRef) -> Store {
        let (provider, wake_ups) = if self.no_wake_ups {
            (provider, None)
        } else {
            let wake_ups = Arc::new(WakeUps::new(provider));
            (wake_ups.clone() as ProviderRef, Some(wake_ups))
        };
        let provider = match &self.yield_sites {
            Some(sites) => Arc::new(NondeterminismNotes::new(provider, sites.clone())) as ProviderRef,
            None => provider,
        };
        Store { provider, wake_ups }
    }
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

pub fn is_postgres_url(raw: &str) -> bool {
    raw.starts_with("postgres://") || raw.starts_with("postgresql://")
}

pub async fn open_sqlite(raw: &str, options: &StoreOptions) -> Result<Store, String> {
    let path = match parse_sqlite_location(raw)? {
        SqliteTarget::Memory => return open_in_memory(options).await,
        SqliteTarget::File(path) => path,
    };
    Ok(options.decorate(Arc::new(SqliteGuard::new(Arc::new(sqlite_file(&path).await?)))))
}

/// duroxide's provider on a file, created (with its folder) if missing.
async fn sqlite_file(path: &std::path::Path) -> Result<SqliteProvider, String> {
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
        .open(path)
        .map_err(|e| fail(e.to_string()))?;
    let _creating = SchemaLock::take(path).await;
    SqliteProvider::new(&format!("sqlite:{}", path.display()), None).await.map_err(|e| fail(e.to_string()))
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
        let give_up = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return SchemaLock(Some(file));
            }
            let busy = std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock;
            if !busy || tokio::time::Instant::now() > give_up {
                return SchemaLock(None);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
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

/// Numbers the in-memory databases of this process. Global because SQLite's
/// shared-cache names are (see src/globals.rs).
static MEMORY_DATABASES: AtomicU64 = AtomicU64::new(0);

/// Each in-memory store is its own database (duroxide's own helper shares one
/// per process, which would leak state between providers of one script).
pub async fn open_in_memory(options: &StoreOptions) -> Result<Store, String> {
    let n = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
    let url = format!("sqlite:file:duroxide-memory-{}-{n}?mode=memory&cache=shared", std::process::id());
    let provider = SqliteProvider::new(&url, None)
        .await
        .map_err(|e| format!("cannot create in-memory SQLite database: {e}"))?;
    Ok(options.decorate(Arc::new(SqliteGuard::new(Arc::new(provider)))))
}

/// How long connecting to PostgreSQL may take before we give up.
const PG_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL as it may be shown: the password replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    if let Ok(mut url) = url::Url::parse(raw) {
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
    let url = url::Url::parse(raw).map_err(|e| format!("invalid PostgreSQL URL '{shown}': {e}"))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(format!("invalid PostgreSQL URL '{shown}': it must start with postgres:// or postgresql://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("invalid PostgreSQL URL '{shown}': it names no host"));
    }
    Ok(())
}

pub async fn open_postgres(raw: &str, schema: Option<&str>, options: &StoreOptions) -> Result<Store, String> {
    Ok(options.decorate(Arc::new(postgres(raw, schema).await?)))
}

async fn postgres(raw: &str, schema: Option<&str>) -> Result<duroxide_pg::PostgresProvider, String> {
    check_postgres_url(raw)?;
    let shown = redact_url(raw);
    let password = url::Url::parse(raw).ok().and_then(|u| u.password().map(String::from));
    let connect = duroxide_pg::PostgresProvider::new_with_schema(raw, schema);
    match tokio::time::timeout(PG_CONNECT_TIMEOUT, connect).await {
        Err(_) => Err(format!("cannot connect to PostgreSQL at {shown}: no answer within {} s", PG_CONNECT_TIMEOUT.as_secs())),
        Ok(Err(e)) => {
            let mut why = format!("{e:#}");
            if let Some(p) = password.filter(|p| !p.is_empty()) {
                why = why.replace(&p, "***");
            }
            Err(format!("cannot connect to PostgreSQL at {shown}: {why}"))
        }
        Ok(Ok(p)) => Ok(p),
    }
}

/// Opens `url` (`sqlite:...`, a path, or `postgres://...`), creating a SQLite file if needed.
pub async fn open(url: &str, schema: Option<&str>, options: &StoreOptions) -> Result<Store, String> {
    if is_postgres_url(url) {
        open_postgres(url, schema, options).await
    } else {
        open_sqlite(url, options).await
    }
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
