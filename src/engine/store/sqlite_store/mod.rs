//! Our own SQLite store (issue 14, in progress; the plan is docs/sqlite-store-plan.md): duroxide's `Provider`
//! on the built-in provider's schema, every call a step of one writer thread that commits calls in groups.
//! Opt-in for `duroxide run` (`DUROXIDE_SQLITE_STORE=own`, `StoreOptions::own_sqlite`) until it is the default.

mod activities;
mod admin;
mod kv;
mod orchestrations;
mod provider;
mod rows;
mod schema;
mod writer;

pub use provider::SqliteStore;
pub use writer::Durability;
#[cfg(test)]
mod tests {
    /// The plan's schema step rests on this: sqlx (under duroxide's provider) and rusqlite link one SQLite, so a
    /// shared-cache in-memory database duroxide created is the same database for a rusqlite connection.
    #[tokio::test]
    async fn rusqlite_sees_the_shared_memory_database_duroxide_created() {
        let name = format!("duroxide-shared-check-{}", std::process::id());
        let provider =
            duroxide::providers::sqlite::SqliteProvider::new(&format!("sqlite:file:{name}?mode=memory&cache=shared"), None).await.unwrap();
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let ours = rusqlite::Connection::open_with_flags(format!("file:{name}?mode=memory&cache=shared"), flags).unwrap();
        let tables: i64 = ours
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('instances', 'history', 'orchestrator_queue')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 3);
        drop(provider);
    }
}
