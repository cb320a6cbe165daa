//! Our own SQLite store, what `sqlite:` locations open (`sqlite+sqlx:` opens duroxide's built-in provider; the
//! design is docs/sqlite-store-plan.md): duroxide's `Provider` on the built-in provider's schema, every call a
//! step of one writer thread that commits calls in groups.

mod activities;
mod admin;
mod history_cache;
mod kv;
mod open_files;
mod orchestrations;
mod provider;
mod rows;
pub(super) mod schema;
mod timers;
mod writer;

pub use provider::SqliteStore;
pub use writer::Durability;
#[cfg(test)]
mod tests {
    use super::{Durability, SqliteStore};

    fn start(instance: &str) -> duroxide::providers::WorkItem {
        duroxide::providers::WorkItem::StartOrchestration {
            instance: instance.into(),
            orchestration: "Flow".into(),
            input: "null".into(),
            version: Some("1.0.0".into()),
            parent_instance: None,
            parent_id: None,
            parent_execution_id: None,
            execution_id: 1,
        }
    }

    /// Every other fetch takes a running instance's message before a backlog of starts queued ahead of it
    /// (so the first of thousands of queued instances finishes at once); the others take the oldest.
    #[tokio::test]
    async fn fetches_alternate_between_running_instances_and_the_oldest_message() {
        use duroxide::providers::{ExecutionMetadata, Provider, WorkItem};
        use std::time::Duration;
        let store = SqliteStore::in_memory("duroxide-order-check", Durability::Normal).await.unwrap();
        let fetch = || store.fetch_orchestration_item(Duration::from_secs(30), Duration::ZERO, None);
        store.enqueue_for_orchestrator(start("running"), None).await.unwrap();
        let (item, token, _) = fetch().await.unwrap().expect("the first start");
        let begun = ExecutionMetadata {
            orchestration_name: Some("Flow".into()),
            orchestration_version: Some("1.0.0".into()),
            ..Default::default()
        };
        store.ack_orchestration_item(&token, item.execution_id, vec![], vec![], vec![], begun, vec![]).await.unwrap();
        for n in 0..3 {
            store.enqueue_for_orchestrator(start(&format!("queued-{n}")), None).await.unwrap();
        }
        let event = WorkItem::ExternalRaised { instance: "running".into(), name: "go".into(), data: "1".into() };
        store.enqueue_for_orchestrator(event, None).await.unwrap();
        let mut order = Vec::new();
        while let Some((item, _, _)) = fetch().await.unwrap() {
            order.push(item.instance);
        }
        // The store's second fetch takes the oldest, its third the running instance's event, then the oldest
        // again, and with no running instance's message left the fourth takes the oldest too.
        assert_eq!(order, ["queued-0", "running", "queued-1", "queued-2"]);
    }

    /// An event for an instance that never started cannot be served; the work queued behind it is served all
    /// the same (duroxide's built-in provider answers None to every fetch until a start for it arrives), and
    /// the event waits for that start.
    #[tokio::test]
    async fn a_message_that_cannot_be_served_does_not_hold_up_the_queue() {
        use duroxide::providers::{Provider, WorkItem};
        use std::time::Duration;
        let store = SqliteStore::in_memory("duroxide-ghost-check", Durability::Normal).await.unwrap();
        let fetch = || store.fetch_orchestration_item(Duration::from_secs(30), Duration::ZERO, None);
        let event = WorkItem::ExternalRaised { instance: "later".into(), name: "go".into(), data: "1".into() };
        store.enqueue_for_orchestrator(event, None).await.unwrap();
        store.enqueue_for_orchestrator(start("now"), None).await.unwrap();
        let (item, _, _) = fetch().await.unwrap().expect("the start behind the event");
        assert_eq!(item.instance, "now");
        assert!(fetch().await.unwrap().is_none(), "the event alone is not served");
        store.enqueue_for_orchestrator(start("later"), None).await.unwrap();
        let (item, _, _) = fetch().await.unwrap().expect("the start with its event");
        assert_eq!(item.instance, "later");
        assert_eq!(item.messages.len(), 2, "{:?}", item.messages);
    }

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
