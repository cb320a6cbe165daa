//! One thread owns the write connection of a SQLite file; calls from any task
//! are committed in groups. The writer takes every call that is waiting, runs
//! each inside its own savepoint of one `BEGIN IMMEDIATE` transaction, commits
//! once, and only then answers the callers: one commit (and, with
//! `synchronous=FULL`, one fsync) for many dispatchers' acks, and no caller is
//! told "done" before its rows are. A call that fails rolls back its own
//! savepoint and gets its error; the others in the group are not touched.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

/// The most calls one transaction takes, so a flood still commits regularly.
const MOST_PER_GROUP: usize = 64;

/// More than the distinct statements the store runs.
const STATEMENTS_KEPT: usize = 256;

/// Tells a caller how its call ended, once the group's commit is known.
type Answer = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A call, type-erased: runs on the connection (None: it cannot run), says
/// whether it succeeded (else its savepoint is rolled back) and how to answer
/// its caller.
type Call = Box<dyn FnOnce(Option<&Connection>) -> (bool, Answer) + Send>;

pub struct Writer {
    calls: Option<mpsc::Sender<Call>>,
    thread: Option<JoinHandle<()>>,
    // Read by the tests (grouping); the store's metrics are to report it too (docs/sqlite-store-plan.md step 5).
    #[allow(dead_code)]
    commits: Arc<AtomicU64>,
}

/// Why a write did not happen.
#[derive(Debug, PartialEq)]
pub enum Failed<E> {
    /// The call itself failed; what it wrote was undone.
    Call(E),
    /// The group's transaction could not begin or commit (SQLite's message).
    Commit(String),
    /// The writer thread is gone (the store was closed).
    Stopped,
}

/// How durable a commit is: NORMAL (WAL) survives a process crash, FULL also a power loss.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Durability {
    #[default]
    Normal,
    Full,
}

impl Writer {
    /// Takes `connection` (to the database `shown` names in errors) over on a thread of its own.
    pub fn open(connection: Connection, durability: Durability, shown: &str) -> Result<Writer, String> {
        let pragmas = format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {}; PRAGMA busy_timeout = 60000; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;",
            match durability {
                Durability::Normal => "NORMAL",
                Durability::Full => "FULL",
            }
        );
        connection.execute_batch(&pragmas).map_err(|e| format!("cannot set up {shown}: {e}"))?;
        // Every statement of the store stays prepared (rusqlite keeps 16 by default: the store has more, and
        // re-preparing them was a fifth of the writer's time).
        connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
        let (calls, queue) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let counted = commits.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(connection, queue, &counted))
            .map_err(|e| format!("cannot start the SQLite writer: {e}"))?;
        Ok(Writer { calls: Some(calls), thread: Some(thread), commits })
    }

    /// Runs `call` in the next group; its result once the group is committed.
    /// An `Err` from the call undoes what it wrote (its savepoint) and is
    /// handed back as [`Failed::Call`].
    pub async fn write<R: Send + 'static, E: Send + 'static>(
        &self,
        call: impl FnOnce(&Connection) -> Result<R, E> + Send + 'static,
    ) -> Result<R, Failed<E>> {
        let (reply, answer) = oneshot::channel::<Result<R, Failed<E>>>();
        let erased: Call = Box::new(move |connection| match connection.map(call) {
            Some(Ok(value)) => {
                (true, Box::new(move |commit: Result<(), String>| drop(reply.send(commit.map(|()| value).map_err(Failed::Commit)))))
            }
            Some(Err(e)) => (false, Box::new(move |_| drop(reply.send(Err(Failed::Call(e)))))),
            None => (false, Box::new(move |why: Result<(), String>| drop(reply.send(Err(Failed::Commit(why.err().unwrap_or_default())))))),
        });
        let calls = self.calls.as_ref().ok_or(Failed::Stopped)?;
        calls.send(erased).map_err(|_| Failed::Stopped)?;
        answer.await.map_err(|_| Failed::Stopped)?
    }

    /// Transactions committed so far (each holds one group of calls).
    #[allow(dead_code)]
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // The thread ends when the channel closes, after the calls already sent.
        self.calls.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(connection: Connection, queue: mpsc::Receiver<Call>, commits: &AtomicU64) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MOST_PER_GROUP {
            match queue.try_recv() {
                Ok(call) => group.push(call),
                Err(_) => break,
            }
        }
        commit_group(&connection, group, commits);
    }
}

fn commit_group(connection: &Connection, group: Vec<Call>, commits: &AtomicU64) {
    if let Err(e) = run_cached(connection, "BEGIN IMMEDIATE") {
        let why = format!("cannot begin a transaction: {e}");
        for call in group {
            let (_, answer) = call(None);
            answer(Err(why.clone()));
        }
        return;
    }
    let mut answers = Vec::with_capacity(group.len());
    for call in group {
        let savepoint = run_cached(connection, "SAVEPOINT call");
        let (ok, answer) = call(Some(connection));
        if savepoint.is_err() || !ok {
            let _ = run_cached(connection, "ROLLBACK TO call");
        }
        let _ = run_cached(connection, "RELEASE call");
        answers.push((ok && savepoint.is_ok(), answer));
    }
    let committed = run_cached(connection, "COMMIT").map_err(|e| format!("cannot commit: {e}"));
    if committed.is_err() {
        let _ = run_cached(connection, "ROLLBACK");
    } else {
        commits.fetch_add(1, Ordering::Relaxed);
    }
    for (_, answer) in answers {
        answer(committed.clone());
    }
}

/// Runs a statement without parameters that is kept prepared: the transaction and savepoint statements run on
/// every call, and parsing them each time showed in the profile.
pub fn run_cached(c: &Connection, sql: &str) -> rusqlite::Result<()> {
    c.prepare_cached(sql)?.execute([]).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(tag: &str) -> TempFile {
            let path = std::env::temp_dir().join(format!("duroxide-writer-{tag}-{}.db", std::process::id()));
            let _ = std::fs::remove_file(&path);
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    fn writer(file: &TempFile) -> Arc<Writer> {
        Arc::new(Writer::open(Connection::open(&file.0).unwrap(), Durability::Normal, "test").unwrap())
    }

    async fn create_table(writer: &Writer) {
        writer.write(|c| c.execute_batch("CREATE TABLE t (n INTEGER PRIMARY KEY)")).await.unwrap();
    }

    /// Holds the writer inside a call until released, so the calls sent meanwhile form one group.
    async fn hold(writer: &Arc<Writer>) -> (tokio::task::JoinHandle<()>, std::sync::mpsc::Sender<()>) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel();
        let held = writer.clone();
        let task = tokio::spawn(async move {
            held.write(move |_| {
                let _ = started.send(());
                let _ = released.recv();
                Ok::<(), rusqlite::Error>(())
            })
            .await
            .unwrap();
        });
        running.await.unwrap();
        (task, release)
    }

    fn rows(file: &TempFile) -> Vec<i64> {
        let reader = Connection::open(&file.0).unwrap();
        let mut statement = reader.prepare("SELECT n FROM t ORDER BY n").unwrap();
        let found = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
        found
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn calls_that_wait_together_are_committed_together() {
        let file = TempFile::new("group");
        let writer = writer(&file);
        create_table(&writer).await;
        let (held, release) = hold(&writer).await;
        let before = writer.commits();
        let calls: Vec<_> = (1..=10)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(move |c| c.execute("INSERT INTO t VALUES (?1)", [n])).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        release.send(()).unwrap();
        held.await.unwrap();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap(), 1);
        }
        assert_eq!(writer.commits() - before, 2, "the held call's group, then one group of ten");
        assert_eq!(rows(&file), (1..=10).collect::<Vec<i64>>(), "answered only once committed: another connection sees them");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_call_leaves_the_others_of_its_group_alone() {
        let file = TempFile::new("failure");
        let writer = writer(&file);
        create_table(&writer).await;
        let (held, release) = hold(&writer).await;
        let spawn = |sql: &'static str| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.write(move |c| c.execute_batch(sql)).await })
        };
        let first = spawn("INSERT INTO t VALUES (1)");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let failing = spawn("INSERT INTO t VALUES (2); INSERT INTO t VALUES (1)");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let third = spawn("INSERT INTO t VALUES (3)");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        release.send(()).unwrap();
        held.await.unwrap();
        first.await.unwrap().unwrap();
        let Err(Failed::Call(why)) = failing.await.unwrap() else { panic!("the failing call succeeded") };
        assert_eq!(why.to_string(), "UNIQUE constraint failed: t.n");
        third.await.unwrap().unwrap();
        assert_eq!(rows(&file), vec![1, 3], "the failed call's own insert of 2 was rolled back");
    }

    #[tokio::test]
    async fn dropping_the_writer_finishes_what_was_sent() {
        let file = TempFile::new("drop");
        let writer = Writer::open(Connection::open(&file.0).unwrap(), Durability::Full, "test").unwrap();
        create_table(&writer).await;
        writer.write(|c| c.execute("INSERT INTO t VALUES (7)", [])).await.unwrap();
        drop(writer);
        assert_eq!(rows(&file), vec![7]);
    }
}
