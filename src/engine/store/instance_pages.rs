//! Reads for the dashboard and the HTTP API that duroxide's API has no call
//! for: one page of instances in one query (its `list_instances` gives ids only,
//! and a read per id is 10,000 reads for a store of 10,000 instances), the
//! count of instances per status, and completions per minute. Plain SELECTs on
//! the handles of [`QueuePeek`]; nothing here writes.

use serde::Serialize;

use super::queue_peek::QueuePeek;
use super::sqlite_store::schema::ms_of;

/// One row of the instance list: the instance and its current execution's status.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRow {
    pub instance_id: String,
    pub orchestration_name: String,
    pub orchestration_version: String,
    pub current_execution_id: u64,
    pub status: String,
    pub custom_status: Option<String>,
    /// Epoch milliseconds.
    pub created_at: u64,
    pub updated_at: u64,
    pub parent_instance_id: Option<String>,
}

/// What a page shows: all given filters apply.
#[derive(Clone, Debug, Default)]
pub struct PageQuery {
    pub status: Option<String>,
    /// The orchestration's name, exactly.
    pub name: Option<String>,
    /// Part of the instance id.
    pub id_contains: Option<String>,
    /// Where the previous page ended ([`Page::next`]).
    pub after: Option<Cursor>,
    pub limit: u32,
}

/// Newest first; `next` is set when more rows follow.
#[derive(Clone, Debug)]
pub struct Page {
    pub rows: Vec<InstanceRow>,
    pub next: Option<Cursor>,
}

/// A position in the list: the creation time exactly as the store holds it, and the id.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    created: String,
    id: String,
}

impl Cursor {
    /// Opaque and URL-safe: hex of `created \n id`.
    pub fn encode(&self) -> String {
        format!("{}\n{}", self.created, self.id).bytes().map(|b| format!("{b:02x}")).collect()
    }

    pub fn decode(text: &str) -> Result<Cursor, String> {
        let bad = || format!("cursor '{}' is not one this server handed out", text.chars().take(40).collect::<String>());
        if text.len() % 2 != 0 || !text.is_ascii() {
            return Err(bad());
        }
        let bytes: Result<Vec<u8>, _> = (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16)).collect();
        let decoded = String::from_utf8(bytes.map_err(|_| bad())?).map_err(|_| bad())?;
        let (created, id) = decoded.split_once('\n').ok_or_else(bad)?;
        // Stores compare (PostgreSQL casts) the time: anything but a real one is refused here, not there.
        if !created_time(created) {
            return Err(bad());
        }
        Ok(Cursor { created: created.to_string(), id: id.to_string() })
    }
}

/// `YYYY-MM-DD HH:MM:SS` (a real date and time), then at most fractional seconds and a UTC offset: what
/// SQLite's time columns and PostgreSQL's `timestamptz::TEXT` hold.
fn created_time(text: &str) -> bool {
    let Some(head) = text.get(..19) else { return false };
    let tail = &text[19..];
    chrono::NaiveDateTime::parse_from_str(&head.replacen('T', " ", 1), "%Y-%m-%d %H:%M:%S").is_ok()
        && tail.len() <= 16
        && tail.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '+' | '-' | ':'))
}

/// Executions that ended in one minute, by how they ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinuteCounts {
    /// Epoch milliseconds of the minute's start.
    pub minute: u64,
    pub completed: u64,
    pub failed: u64,
    pub continued_as_new: u64,
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("reading the instance list failed: {e}")
}

/// The columns of a row, then the raw creation time for the cursor.
type Row = (String, String, Option<String>, i64, String, Option<String>, i64, i64, Option<String>, String);

fn row_of(r: Row) -> (InstanceRow, Cursor) {
    let (instance_id, orchestration_name, version, execution, status, custom_status, created_at, updated_at, parent, created) = r;
    let cursor = Cursor { created, id: instance_id.clone() };
    let row = InstanceRow {
        instance_id,
        orchestration_name,
        orchestration_version: version.unwrap_or_default(),
        current_execution_id: execution.max(0) as u64,
        status,
        custom_status,
        created_at: created_at.max(0) as u64,
        updated_at: updated_at.max(0) as u64,
        parent_instance_id: parent,
    };
    (row, cursor)
}

/// The page SQL for SQLite (ours and the built-in provider's file: same schema).
/// The cursor's term is left out of the first page's statement, so both walk
/// the creation-time index from its end.
fn sqlite_page_sql(after: bool) -> String {
    format!(
        "SELECT i.instance_id, i.orchestration_name, i.orchestration_version, i.current_execution_id,
                COALESCE(e.status, 'Running'), i.custom_status, {created}, {updated}, i.parent_instance_id,
                CAST(i.created_at AS TEXT)
         FROM instances i
         LEFT JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
         WHERE (?1 IS NULL OR COALESCE(e.status, 'Running') = ?1)
           AND (?2 IS NULL OR i.orchestration_name = ?2)
           AND (?3 IS NULL OR instr(i.instance_id, ?3) > 0)
           {after}
         ORDER BY i.created_at DESC, i.instance_id DESC
         LIMIT ?6",
        created = ms_of("i.created_at"),
        updated = ms_of("i.updated_at"),
        after = if after { "AND (i.created_at, i.instance_id) < (?4, ?5)" } else { "AND ?4 IS NULL AND ?5 IS NULL" },
    )
}

fn pg_page_sql(schema: &str, after: bool) -> String {
    format!(
        "SELECT i.instance_id, i.orchestration_name, i.orchestration_version, i.current_execution_id::BIGINT,
                COALESCE(e.status, 'Running'), i.custom_status,
                (EXTRACT(EPOCH FROM i.created_at) * 1000)::BIGINT, (EXTRACT(EPOCH FROM i.updated_at) * 1000)::BIGINT,
                i.parent_instance_id, i.created_at::TEXT
         FROM \"{schema}\".instances i
         LEFT JOIN \"{schema}\".executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
         WHERE ($1::TEXT IS NULL OR COALESCE(e.status, 'Running') = $1)
           AND ($2::TEXT IS NULL OR i.orchestration_name = $2)
           AND ($3::TEXT IS NULL OR strpos(i.instance_id, $3) > 0)
           {after}
         ORDER BY i.created_at DESC, i.instance_id DESC
         LIMIT $6",
        after = if after {
            "AND (i.created_at, i.instance_id) < ($4::TIMESTAMPTZ, $5::TEXT)"
        } else {
            "AND $4::TEXT IS NULL AND $5::TEXT IS NULL"
        },
    )
}

const SQLITE_COUNTS: &str = "
    SELECT COALESCE(e.status, 'Running'), COUNT(*)
    FROM instances i
    LEFT JOIN executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
    GROUP BY 1 ORDER BY 1";

fn pg_counts(schema: &str) -> String {
    format!(
        "SELECT COALESCE(e.status, 'Running'), COUNT(*)
         FROM \"{schema}\".instances i
         LEFT JOIN \"{schema}\".executions e ON e.instance_id = i.instance_id AND e.execution_id = i.current_execution_id
         GROUP BY 1 ORDER BY 1"
    )
}

const SQLITE_NAMES: &str = "SELECT DISTINCT orchestration_name FROM instances ORDER BY 1 LIMIT 500";

fn pg_names(schema: &str) -> String {
    format!("SELECT DISTINCT orchestration_name FROM \"{schema}\".instances ORDER BY 1 LIMIT 500")
}

/// Ends since `?1`: both SQLite providers write `completed_at` as epoch milliseconds (unlike the other times).
const SQLITE_MINUTES: &str = "
    SELECT completed_at / 60000 AS minute, status, COUNT(*)
    FROM executions WHERE completed_at IS NOT NULL AND completed_at >= ?1
    GROUP BY minute, status";

fn pg_minutes(schema: &str) -> String {
    format!(
        "SELECT ((EXTRACT(EPOCH FROM completed_at) * 1000)::BIGINT / 60000)::BIGINT AS minute, status, COUNT(*)
         FROM \"{schema}\".executions WHERE completed_at IS NOT NULL AND completed_at >= to_timestamp($1::DOUBLE PRECISION / 1000.0)
         GROUP BY minute, status"
    )
}

fn sqlite_rows<T>(
    c: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl Fn(&rusqlite::Row) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = c.prepare_cached(sql)?;
    let rows = statement.query_map(params, |r| row(r))?;
    rows.collect()
}

/// The page query's parameters, in the order both SQL texts number them.
fn bind_page<'q, DB: sqlx::Database>(
    query: sqlx::query::QueryAs<'q, DB, Row, <DB as sqlx::Database>::Arguments<'q>>,
    status: Option<String>,
    name: Option<String>,
    part: Option<String>,
    after_created: Option<String>,
    after_id: Option<String>,
    fetch: i64,
) -> sqlx::query::QueryAs<'q, DB, Row, <DB as sqlx::Database>::Arguments<'q>>
where
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    query.bind(status).bind(name).bind(part).bind(after_created).bind(after_id).bind(fetch)
}

fn sqlite_page_row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
}

impl QueuePeek {
    /// One page of instances, newest first.
    pub async fn instance_page(&self, query: &PageQuery) -> Result<Page, String> {
        let limit = query.limit.clamp(1, 1000);
        // One row more than asked for says whether a next page exists.
        let fetch = i64::from(limit) + 1;
        let (after_created, after_id) = match &query.after {
            Some(c) => (Some(c.created.clone()), Some(c.id.clone())),
            None => (None, None),
        };
        let (status, name, part) = (query.status.clone(), query.name.clone(), query.id_contains.clone());
        let rows: Vec<Row> = match self {
            QueuePeek::Own(store) => {
                let sql = sqlite_page_sql(after_created.is_some());
                store
                    .query(move |c| {
                        sqlite_rows(c, &sql, rusqlite::params![status, name, part, after_created, after_id, fetch], sqlite_page_row)
                    })
                    .await
                    .map_err(failed)?
            }
            QueuePeek::Sqlite(pool) => {
                let sql = sqlite_page_sql(after_created.is_some());
                let query = bind_page(sqlx::query_as(&sql), status, name, part, after_created, after_id, fetch);
                query.fetch_all(pool).await.map_err(failed)?
            }
            QueuePeek::Postgres { pool, schema } => {
                let sql = pg_page_sql(schema, after_created.is_some());
                let query = bind_page(sqlx::query_as(&sql), status, name, part, after_created, after_id, fetch);
                query.fetch_all(pool).await.map_err(failed)?
            }
        };
        let mut rows: Vec<(InstanceRow, Cursor)> = rows.into_iter().map(row_of).collect();
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = if more { rows.last().map(|(_, cursor)| cursor.clone()) } else { None };
        Ok(Page { rows: rows.into_iter().map(|(row, _)| row).collect(), next })
    }

    /// How many instances have each status (their current execution's), by status name.
    pub async fn status_counts(&self) -> Result<Vec<(String, u64)>, String> {
        let rows: Vec<(String, i64)> = match self {
            QueuePeek::Own(store) => {
                store.query(|c| sqlite_rows(c, SQLITE_COUNTS, [], |r| Ok((r.get(0)?, r.get(1)?)))).await.map_err(failed)?
            }
            QueuePeek::Sqlite(pool) => sqlx::query_as(SQLITE_COUNTS).fetch_all(pool).await.map_err(failed)?,
            QueuePeek::Postgres { pool, schema } => sqlx::query_as(&pg_counts(schema)).fetch_all(pool).await.map_err(failed)?,
        };
        Ok(rows.into_iter().map(|(status, n)| (status, n.max(0) as u64)).collect())
    }

    /// The orchestration names instances have (at most 500), for the list's filter.
    pub async fn orchestration_names(&self) -> Result<Vec<String>, String> {
        let rows: Vec<(String,)> = match self {
            QueuePeek::Own(store) => store.query(|c| sqlite_rows(c, SQLITE_NAMES, [], |r| Ok((r.get(0)?,)))).await.map_err(failed)?,
            QueuePeek::Sqlite(pool) => sqlx::query_as(SQLITE_NAMES).fetch_all(pool).await.map_err(failed)?,
            QueuePeek::Postgres { pool, schema } => sqlx::query_as(&pg_names(schema)).fetch_all(pool).await.map_err(failed)?,
        };
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    /// Executions that ended in each of the last `minutes` minutes (the current one included), oldest first.
    pub async fn completions_per_minute(&self, now_ms: u64, minutes: u32) -> Result<Vec<MinuteCounts>, String> {
        let first_minute = now_ms / 60_000 + 1 - u64::from(minutes.max(1));
        let since_ms = first_minute * 60_000;
        let rows: Vec<(i64, String, i64)> = match self {
            QueuePeek::Own(store) => store
                .query(move |c| sqlite_rows(c, SQLITE_MINUTES, [since_ms as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))))
                .await
                .map_err(failed)?,
            QueuePeek::Sqlite(pool) => sqlx::query_as(SQLITE_MINUTES).bind(since_ms as i64).fetch_all(pool).await.map_err(failed)?,
            QueuePeek::Postgres { pool, schema } => {
                sqlx::query_as(&pg_minutes(schema)).bind(since_ms as i64).fetch_all(pool).await.map_err(failed)?
            }
        };
        let mut counts: Vec<MinuteCounts> = (0..u64::from(minutes.max(1)))
            .map(|i| MinuteCounts { minute: (first_minute + i) * 60_000, ..MinuteCounts::default() })
            .collect();
        for (minute, status, n) in rows {
            let Some(slot) = (minute as u64).checked_sub(first_minute).and_then(|i| counts.get_mut(i as usize)) else { continue };
            let n = n.max(0) as u64;
            match status.as_str() {
                "Completed" => slot.completed += n,
                "Failed" => slot.failed += n,
                "ContinuedAsNew" => slot.continued_as_new += n,
                _ => {}
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_what_was_not_handed_out() {
        for created in ["2026-11-30 10:00:00.123", "2026-11-30 10:00:00", "2026-12-01 00:17:57.643211+00"] {
            let cursor = Cursor { created: created.into(), id: "order/42 ü".into() };
            let text = cursor.encode();
            assert!(text.chars().all(|c| c.is_ascii_hexdigit()), "{text}");
            assert_eq!(Cursor::decode(&text).unwrap(), cursor);
        }
        let forged = |created: &str| Cursor { created: created.into(), id: "x".into() }.encode();
        for bad in [
            "abc".to_string(),
            "zz".into(),
            "6162".into(),
            "ü1".into(),
            forged("2026-13-45 99:00:00"),
            forged("yesterday"),
            forged("2026-11-30 10:00:00'; --"),
        ] {
            let err = Cursor::decode(&bad).unwrap_err();
            assert!(err.contains("is not one this server handed out"), "{err}");
        }
    }

    async fn own_store_with(ids: &[(&str, &str)]) -> std::sync::Arc<crate::engine::store::sqlite_store::SqliteStore> {
        let store = crate::engine::store::sqlite_store::SqliteStore::open_in_memory_for_tests().await;
        for (i, (id, name)) in ids.iter().enumerate() {
            let (id, name) = (id.to_string(), name.to_string());
            let created = format!("2026-11-30 10:00:{:02}.000", i);
            store
                .query(move |c| {
                    c.execute(
                        "INSERT INTO instances (instance_id, orchestration_name, orchestration_version, current_execution_id, created_at, updated_at)
                         VALUES (?1, ?2, '1.0.0', 1, ?3, ?3)",
                        rusqlite::params![id, name, created],
                    )?;
                    c.execute(
                        "INSERT INTO executions (instance_id, execution_id, status, started_at) VALUES (?1, 1, ?2, ?3)",
                        rusqlite::params![id, if name == "Fail" { "Failed" } else { "Completed" }, created],
                    )
                })
                .await
                .unwrap();
        }
        store
    }

    #[tokio::test]
    async fn pages_walk_newest_first_with_filters() {
        let ids: Vec<(String, &str)> = (0..7).map(|i| (format!("job-{i}"), if i % 3 == 0 { "Fail" } else { "Ok" })).collect();
        let refs: Vec<(&str, &str)> = ids.iter().map(|(id, n)| (id.as_str(), *n)).collect();
        let peek = QueuePeek::Own(own_store_with(&refs).await);
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = peek.instance_page(&PageQuery { after: after.clone(), limit: 3, ..PageQuery::default() }).await.unwrap();
            seen.extend(page.rows.iter().map(|r| r.instance_id.clone()));
            match page.next {
                Some(next) => after = Some(Cursor::decode(&next.encode()).unwrap()),
                None => break,
            }
        }
        assert_eq!(seen, ["job-6", "job-5", "job-4", "job-3", "job-2", "job-1", "job-0"]);

        let failed = peek.instance_page(&PageQuery { status: Some("Failed".into()), limit: 50, ..PageQuery::default() }).await.unwrap();
        let names: Vec<_> = failed.rows.iter().map(|r| r.instance_id.as_str()).collect();
        assert_eq!(names, ["job-6", "job-3", "job-0"]);
        assert_eq!(failed.rows[0].created_at, 1_796_032_806_000);

        let by_name = PageQuery { name: Some("Ok".into()), id_contains: Some("-4".into()), limit: 50, ..PageQuery::default() };
        let found = peek.instance_page(&by_name).await.unwrap();
        assert_eq!(found.rows.iter().map(|r| r.instance_id.as_str()).collect::<Vec<_>>(), ["job-4"]);
        assert!(found.next.is_none());

        assert_eq!(peek.status_counts().await.unwrap(), [("Completed".to_string(), 4), ("Failed".to_string(), 3)]);
        assert_eq!(peek.orchestration_names().await.unwrap(), ["Fail", "Ok"]);
    }
}
