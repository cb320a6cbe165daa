//! History stores: opening SQLite and PostgreSQL, and the decorators this
//! process puts around the provider, each with one job (outermost first):
//! - [`NondeterminismNotes`]: names the JS line behind a nondeterminism failure;
//! - [`WakeUps`]: dispatchers and client waits react at once to work stored here;
//! - [`HeldLocks`] (per runtime, around all of these): the locks a runtime
//!   holds, handed back when it stops;
//! - [`UnknownStarts`] (per runtime): starts of names it lacks fail with a
//!   sentence after a few tries instead of "poison" after minutes;
//! - [`SqliteGuard`]: one call at a time into a SQLite file, writes refused by
//!   another process's lock tried again;
//! - [`TransientRetries`]: PostgreSQL errors of a restart or a lost connection
//!   retried, where a repeat is safe, instead of failing instances.
//!
//! `decorator.rs` holds what they share: every call they do not change is
//! passed on.
//!
//! Everything above this module talks to a [`Store`]: the outermost provider
//! plus the wake-ups it carries, so client waits can use them.

mod decorator;
mod held_locks;
mod instance_pages;
mod location;
mod nondeterminism_notes;
mod postgres;
mod queue_peek;
pub mod sqlite_damage;
mod sqlite_guard;
mod sqlite_store;
mod transient_retries;
mod unknown_starts;
#[cfg(test)]
mod validation;
mod wake_ups;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use duroxide::providers::sqlite::SqliteProvider;
use duroxide::ProviderRef;

pub use decorator::{decorated, Decorated};
pub use held_locks::{HeldLocks, Released};
pub use instance_pages::{Cursor, InstanceRow, PageQuery};
pub use location::{parse_location, parse_sqlite_location, redact, Location, SqliteTarget};
pub use nondeterminism_notes::{NondeterminismNotes, YieldSites};
pub use queue_peek::{InFlight, QueuePeek, QueuedStart};
pub use sqlite_guard::SqliteGuard;
pub use sqlite_store::Durability;
pub use transient_retries::TransientRetries;
pub use unknown_starts::UnknownStarts;
pub use wake_ups::WakeUps;

/// An opened store as this process uses it.
#[derive(Clone)]
pub struct Store {
    provider: ProviderRef,
    wake_ups: Option<Arc<Decorated<WakeUps>>>,
    peek: Arc<QueuePeek>,
}

impl Store {
    /// The outermost provider: what runtimes and clients are given.
    pub fn provider(&self) -> ProviderRef {
        self.provider.clone()
    }

    /// The in-process notifications, unless turned off.
    pub fn wake_ups(&self) -> Option<&WakeUps> {
        self.wake_ups.as_deref().map(|decorated| &decorated.0)
    }

    /// Reads of its queues (queued starts, activities in flight).
    pub fn peek(&self) -> &QueuePeek {
        &self.peek
    }

    /// Time skipping for tests (see `sqlite_store::timers`): our SQLite store only.
    pub async fn skip_time(&self, by_ms: Option<i64>) -> Result<Option<i64>, String> {
        match &*self.peek {
            QueuePeek::Own(store) => store.skip_time(by_ms).await,
            _ => Err("time skipping needs our SQLite store (SqliteProvider.inMemory or sqlite: files)".into()),
        }
    }
}

/// How stores are decorated; the same for every store a process opens.
#[derive(Clone, Default)]
pub struct StoreOptions {
    /// In-process wake-ups (off only to measure what they buy).
    pub no_wake_ups: bool,
    /// How durable a commit to a SQLite file through our store is (`--sqlite-sync`).
    pub sqlite_sync: Durability,
    /// Where yields were made, for nondeterminism failures (None: no notes).
    pub yield_sites: Option<Arc<dyn YieldSites>>,
}

impl StoreOptions {
    fn decorate(&self, provider: ProviderRef, peek: QueuePeek) -> Store {
        let (provider, wake_ups) = if self.no_wake_ups {
            (provider, None)
        } else {
            let wake_ups = decorated(WakeUps::new(provider));
            (wake_ups.clone() as ProviderRef, Some(wake_ups))
        };
        let provider = match &self.yield_sites {
            Some(sites) => decorated(NondeterminismNotes::new(provider, sites.clone())) as ProviderRef,
            None => provider,
        };
        Store { provider, wake_ups, peek: Arc::new(peek) }
    }
}

/// Opens a SQLite location (see `location`): our own store, or duroxide's
/// built-in provider for `sqlite+sqlx:`.
pub async fn open_sqlite(raw: &str, options: &StoreOptions) -> Result<Store, String> {
    let target = parse_sqlite_location(raw)?;
    if location::wants_built_in_sqlite(raw) {
        return open_built_in_sqlite(target, options).await;
    }
    let own = Arc::new(match target {
        SqliteTarget::Memory => sqlite_store::SqliteStore::in_memory(&memory_database_name(), options.sqlite_sync).await?,
        SqliteTarget::File(path) => sqlite_store::SqliteStore::open(&path, options.sqlite_sync).await?,
    });
    Ok(options.decorate(own.clone(), QueuePeek::Own(own)))
}

async fn open_built_in_sqlite(target: SqliteTarget, options: &StoreOptions) -> Result<Store, String> {
    let provider = match target {
        SqliteTarget::Memory => SqliteProvider::new(&format!("sqlite:{}", memory_database_uri(&memory_database_name())), None)
            .await
            .map_err(|e| format!("cannot create in-memory SQLite database: {e}"))?,
        SqliteTarget::File(path) => sqlite_file(&path).await?,
    };
    let peek = QueuePeek::Sqlite(provider.get_pool().clone());
    Ok(options.decorate(decorated(SqliteGuard::new(Arc::new(provider))), peek))
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
    sqlite_damage::check(path).await?;
    std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| fail(e.to_string()))?;
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
        let Ok(file) = std::fs::File::open(folder) else {
            return SchemaLock(None);
        };
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
fn memory_database_name() -> String {
    format!("duroxide-memory-{}-{}", std::process::id(), MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed))
}

/// A named in-memory database every connection of this process can open:
/// sqlx (under duroxide's provider) and rusqlite link the same SQLite.
fn memory_database_uri(name: &str) -> String {
    format!("file:{name}?mode=memory&cache=shared")
}

/// A new in-memory store (`SqliteProvider.inMemory()`, `:memory:`).
pub async fn open_in_memory(options: &StoreOptions) -> Result<Store, String> {
    open_sqlite(":memory:", options).await
}

pub async fn open_postgres(raw: &str, schema: Option<&str>, options: &StoreOptions) -> Result<Store, String> {
    let provider = postgres::connect(raw, schema).await?;
    let peek = QueuePeek::Postgres { pool: provider.pool().clone(), schema: provider.schema_name().to_string() };
    Ok(options.decorate(decorated(TransientRetries::new(Arc::new(provider))), peek))
}

/// Opens `url` (`sqlite:...`, a path, or `postgres://...`), creating a SQLite file if needed.
pub async fn open(url: &str, schema: Option<&str>, options: &StoreOptions) -> Result<Store, String> {
    match parse_location(url)? {
        Location::Postgres(url) => open_postgres(&url, schema, options).await,
        Location::Sqlite(_) => open_sqlite(url, options).await,
    }
}
