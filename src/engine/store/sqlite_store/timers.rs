//! Time skipping for tests (duroxide/testing): a durable timer is a `TimerFired` message in the
//! orchestrator queue, visible from its due time; skipping time is making it visible now. The
//! caller keeps the virtual clock (real time plus what was skipped): a timer's remaining wait is
//! always `visible_at - now`, so no timer needs state of its own.

use rusqlite::{params, Connection, OptionalExtension};

/// The term that picks timers out of the queue (their JSON starts with the variant's name).
const IS_TIMER: &str = "substr(work_item, 1, 14) = '{\"TimerFired\":'";

/// True when nothing can run now: no message visible (a turn in progress holds its messages, locked
/// and visible), no activity queued or running.
fn idle(c: &Connection, now: i64) -> rusqlite::Result<bool> {
    let busy: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM orchestrator_queue WHERE visible_at <= ?1) OR EXISTS (SELECT 1 FROM worker_queue)",
        [now],
        |r| r.get(0),
    )?;
    Ok(!busy)
}

fn fire_due_by(c: &Connection, now: i64, due_by: i64) -> rusqlite::Result<usize> {
    c.execute(&format!("UPDATE orchestrator_queue SET visible_at = ?1 WHERE {IS_TIMER} AND visible_at <= ?2"), params![now, due_by])
}

/// When nothing can run: fires the next timer(s) and answers how far time jumped (None: busy, or
/// no timer waits).
pub fn skip_to_next_timer(c: &Connection, now: i64) -> rusqlite::Result<Option<i64>> {
    if !idle(c, now)? {
        return Ok(None);
    }
    let next: Option<i64> =
        c.query_row(&format!("SELECT MIN(visible_at) FROM orchestrator_queue WHERE {IS_TIMER}"), [], |r| r.get(0)).optional()?.flatten();
    let Some(next) = next else { return Ok(None) };
    fire_due_by(c, now, next)?;
    Ok(Some((next - now).max(0)))
}

/// Moves time on by `ms`: fires every timer due by then. Answers whether anything can run now.
pub fn advance(c: &Connection, now: i64, ms: i64) -> rusqlite::Result<bool> {
    fire_due_by(c, now, now.saturating_add(ms))?;
    Ok(!idle(c, now)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(rows: &[(&str, i64)]) -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE orchestrator_queue (id INTEGER PRIMARY KEY, instance_id TEXT, work_item TEXT, visible_at INTEGER);
             CREATE TABLE worker_queue (id INTEGER PRIMARY KEY, work_item TEXT);",
        )
        .unwrap();
        for (item, at) in rows {
            c.execute("INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES ('i', ?1, ?2)", params![item, at])
                .unwrap();
        }
        c
    }

    const TIMER: &str = r#"{"TimerFired":{"instance":"i","id":2,"fire_at_ms":0}}"#;

    fn visible_at(c: &Connection) -> Vec<i64> {
        let mut rows = c.prepare("SELECT visible_at FROM orchestrator_queue ORDER BY id").unwrap();
        rows.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    #[test]
    fn skips_to_the_next_timer_only_when_nothing_can_run() {
        let c = queue(&[(TIMER, 5_000), (TIMER, 9_000)]);
        assert_eq!(skip_to_next_timer(&c, 1_000).unwrap(), Some(4_000));
        assert_eq!(visible_at(&c), [1_000, 9_000]);
        assert_eq!(skip_to_next_timer(&c, 1_000).unwrap(), None, "the fired timer is waiting to run");
        c.execute("INSERT INTO worker_queue (work_item) VALUES ('{}')", []).unwrap();
        c.execute("DELETE FROM orchestrator_queue WHERE visible_at = 1000", []).unwrap();
        assert_eq!(skip_to_next_timer(&c, 1_000).unwrap(), None, "an activity is queued");
    }

    #[test]
    fn advancing_fires_what_is_due_by_then_and_nothing_else() {
        let c = queue(&[(TIMER, 5_000), (r#"{"ExternalRaised":{}}"#, 6_000), (TIMER, 90_000)]);
        assert!(advance(&c, 1_000, 10_000).unwrap(), "the first timer can run now");
        assert_eq!(visible_at(&c), [1_000, 6_000, 90_000]);
        assert_eq!(skip_to_next_timer(&queue(&[]), 1_000).unwrap(), None);
    }
}
