//! A damaged SQLite file, said at once and with its path. Left to the
//! connection pool, a file that is not a database makes every connection
//! attempt fail inside the pool, which only reports "pool timed out" 30 s
//! later; damage found by a later query reads as an internal error.

use std::io::Read;
use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

const HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What SQLite says of a damaged file, as it appears in driver errors.
const DAMAGE: [&str; 2] = ["file is not a database", "database disk image is malformed"];

/// Checks an existing file before the pool opens it: its header, then the
/// schema and the first page of every table (cheap: a few pages each).
pub async fn check(path: &Path) -> Result<(), String> {
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut head));
    match read {
        Ok(0) | Err(_) => return Ok(()), // new, or not ours to judge: the open reports it
        Ok(n) if n < HEADER.len() || &head != HEADER => return Err(damaged(path, DAMAGE[0])),
        Ok(_) => {}
    }
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(false);
    let mut connection = options.connect().await.map_err(|e| cause(path, &e.to_string()))?;
    let tables: Vec<String> = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(&mut connection)
        .await
        .map_err(|e| cause(path, &e.to_string()))?
        .iter()
        .map(|row| row.get::<String, _>(0))
        .collect();
    for table in tables {
        let probe = format!("SELECT 1 FROM \"{}\" LIMIT 1", table.replace('"', "\"\""));
        sqlx::query(&probe).fetch_optional(&mut connection).await.map_err(|e| cause(path, &e.to_string()))?;
    }
    let _ = connection.close().await;
    Ok(())
}

/// The damage `message` reports, said with the file's path; None when it reports none.
pub fn describe(message: &str, path: &Path) -> Option<String> {
    DAMAGE.iter().find(|damage| message.contains(*damage)).map(|damage| damaged(path, damage))
}

fn damaged(path: &Path, what: &str) -> String {
    format!("the SQLite database {} is damaged: {what} (restore it from a backup)", path.display())
}

/// An error of the check, with the damage said plainly when that is what it is.
fn cause(path: &Path, message: &str) -> String {
    describe(message, path).unwrap_or_else(|| format!("cannot read SQLite database {}: {message}", path.display()))
}
