//! Our own SQLite store, what `sqlite:` locations open (`sqlite+sqlx:` opens duroxide's built-in provider; the
//! design is docs/sqlite-store-plan.md): duroxide's `Provider` on the built-in provider's schema, every call a
//! step of one writer thread that commits calls in groups.

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
    use super::{Durability, SqliteStore};

    /// `--sqlite-sync` reaches the connection that commits.
    #[tokio::test]
    async fn durability_is_the_writers_synchronous_setting() {
        let dir = std::env::temp_dir().join(format!("duroxide-sync-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (durability, expected) in [(Durability::Normal, 1), (Durability::Full, 2)] {
            let store = SqliteStore::open(&dir.join(format!("{expected}.db")), durability).await.unwrap();
            let synchronous: i64 = store.query(|c| c.query_row("PRAGMA synchronous", [], |r| r.get(0))).await.unwrap();
            assert_eq!(synchronous, expected, "{durability:?}");
        }
        let memory = SqliteStore::in_memory("duroxide-sync-check", Durability::Full).await.unwrap();
        let tables: i64 =
            memory.query(|c| c.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'history'", [], |r| r.get(0))).await.unwrap();
        assert_eq!(tables, 1, "an in-memory store has duroxide's schema");
        let _ = std::fs::remove_dir_all(&dir);
    }

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
