//! Riding out a database restart: transient errors are retried at the store.
//!
//! duroxide-pg reports a connection the server terminated (SQLSTATE 57P01
//! when an operator restarts PostgreSQL, 57P02, 57P03) or a serialization
//! failure (40001) as permanent, and duroxide fails an instance for good when
//! the commit of its turn fails that way. This decorator, innermost around
//! PostgreSQL, retries such errors with backoff. Whether a call may be
//! repeated depends on what a lost answer could mean:
//! - reads and fetches: always (a repeat is harmless), for a while;
//! - lock renewals: until the database answers, since a failed renewal makes
//!   duroxide cancel the activity holding the lock;
//! - acks and abandons: their lock token makes a repeat safe. If an attempt
//!   whose answer was lost did commit, the token is gone and the repeat says
//!   so; that then means done: it committed, or the lock expired and whoever
//!   fetches the work next redoes it. An ack keeps trying while the database
//!   is away: any error it returned would make duroxide commit a failure
//!   with the same token, and that token may still be valid;
//! - enqueues and appends: only when the error proves nothing was written
//!   (no connection, or the server rolled the statement back), since a repeat
//!   of a written one would deliver it twice.

use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, OrchestrationItem, Provider, ProviderError, ScheduledActivityIdentifier,
    SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::{Event, ProviderRef};

use super::decorator::Decorator;

/// How long a call that may give up keeps trying.
const GIVE_UP_AFTER: Duration = Duration::from_secs(30);
const FIRST_DELAY: Duration = Duration::from_millis(50);
const LONGEST_DELAY: Duration = Duration::from_secs(2);
/// How often a call still waiting for the database says so.
const SAY_EVERY: Duration = Duration::from_secs(10);

/// What an error says about the call that got it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    /// Not about the connection: repeating would fail the same way.
    Lasting,
    /// The database was away or rolled the call back: nothing was written.
    NothingWritten,
    /// The connection broke mid-call: it may or may not have been written.
    Unknown,
}

fn fault(error: &ProviderError) -> Fault {
    let text = error.message.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|needle| text.contains(needle));
    if any(&["closed pool"]) {
        // Our own shutdown closed it; waiting would never end.
        Fault::Lasting
    } else if any(&[
        "terminating connection",                 // 57P01 (restart, pg_terminate_backend), 57P02
        "the database system is",                 // 57P03: starting up, shutting down, in recovery
        "cannot connect now",                     // 57P03
        "could not serialize access",             // 40001
        "serialization failure",                  // 40001 as duroxide-pg words it
        "deadlock detected",                      // 40P01
        "pool timed out",                         // no connection was had
        "connection refused",                     // likewise
        "no such file or directory (os error 2)", // a Unix socket not there yet
    ]) {
        Fault::NothingWritten
    } else if error.retryable
        || any(&["connection reset", "broken pipe", "unexpected eof", "end of file", "server closed the connection", "i/o error"])
    {
        Fault::Unknown
    } else {
        Fault::Lasting
    }
}

/// Whether the error says the lock token is gone (acked, abandoned or expired).
fn lock_gone(error: &ProviderError) -> bool {
    let text = error.message.to_ascii_lowercase();
    ["invalid lock token", "already processed", "already acked", "already released", "lock token invalid"]
        .iter()
        .any(|needle| text.contains(needle))
}

/// Which repeats a call allows.
#[derive(Clone, Copy, PartialEq)]
enum Repeat {
    /// Harmless to repeat; gives up after [`GIVE_UP_AFTER`].
    Always,
    /// Settled by its lock token; gives up after [`GIVE_UP_AFTER`].
    ByToken,
    /// Settled by its lock token (or, with no `settled` value, failed by its
    /// loss), and must not fail while the token may be valid.
    ByTokenUntilSettled,
    /// Only when nothing was written; gives up after [`GIVE_UP_AFTER`].
    IfNothingWritten,
}

pub struct TransientRetries {
    inner: ProviderRef,
}

impl TransientRetries {
    pub fn new(inner: ProviderRef) -> Self {
        TransientRetries { inner }
    }
}

async fn with_retries<T, F, Fut>(operation: &str, repeat: Repeat, settled: impl Fn() -> Option<T>, mut call: F) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let started = Instant::now();
    let mut said = started;
    let mut delay = FIRST_DELAY;
    let mut maybe_written = false;
    loop {
        let error = match call().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if maybe_written && repeat != Repeat::Always && lock_gone(&error) {
            if let Some(done) = settled() {
                tracing::info!(operation, "an earlier attempt's answer was lost and its lock is gone now: settled");
                return Ok(done);
            }
        }
        let fault = fault(&error);
        let may_repeat = match (repeat, fault) {
            (_, Fault::Lasting) => false,
            (Repeat::IfNothingWritten, Fault::Unknown) => false,
            _ => true,
        };
        let out_of_time = repeat != Repeat::ByTokenUntilSettled && started.elapsed() >= GIVE_UP_AFTER;
        if !may_repeat || out_of_time {
            return Err(error);
        }
        maybe_written = true;
        if said.elapsed() >= SAY_EVERY || said == started {
            said = Instant::now();
            tracing::warn!(operation, error = %error.message, "the database is not answering; retrying");
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(LONGEST_DELAY);
    }
}

fn unsettled<T>() -> Option<T> {
    None
}

fn done() -> Option<()> {
    Some(())
}

#[async_trait]
impl Decorator for TransientRetries {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        with_retries("fetch_orchestration_item", Repeat::Always, unsettled, || {
            self.inner.fetch_orchestration_item(lock_timeout, poll_timeout, filter)
        })
        .await
    }

    async fn ack_orchestration_item(
        &self,
        lock_token: &str,
        execution_id: u64,
        history_delta: Vec<Event>,
        worker_items: Vec<WorkItem>,
        orchestrator_items: Vec<WorkItem>,
        metadata: ExecutionMetadata,
        cancelled_activities: Vec<ScheduledActivityIdentifier>,
    ) -> Result<(), ProviderError> {
        with_retries("ack_orchestration_item", Repeat::ByTokenUntilSettled, done, || {
            self.inner.ack_orchestration_item(
                lock_token,
                execution_id,
                history_delta.clone(),
                worker_items.clone(),
                orchestrator_items.clone(),
                metadata.clone(),
                cancelled_activities.clone(),
            )
        })
        .await
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        with_retries("abandon_orchestration_item", Repeat::ByToken, done, || {
            self.inner.abandon_orchestration_item(lock_token, delay, ignore_attempt)
        })
        .await
    }

    async fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        with_retries("renew_orchestration_item_lock", Repeat::ByTokenUntilSettled, unsettled, || {
            self.inner.renew_orchestration_item_lock(token, extend_for)
        })
        .await
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        with_retries("enqueue_for_orchestrator", Repeat::IfNothingWritten, unsettled, || {
            self.inner.enqueue_for_orchestrator(item.clone(), delay)
        })
        .await
    }

    async fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        with_retries("read", Repeat::Always, unsettled, || self.inner.read(instance)).await
    }

    async fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        with_retries("read_with_execution", Repeat::Always, unsettled, || self.inner.read_with_execution(instance, execution_id)).await
    }

    async fn append_with_execution(&self, instance: &str, execution_id: u64, new_events: Vec<Event>) -> Result<(), ProviderError> {
        with_retries("append_with_execution", Repeat::IfNothingWritten, unsettled, || {
            self.inner.append_with_execution(instance, execution_id, new_events.clone())
        })
        .await
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        with_retries("enqueue_for_worker", Repeat::IfNothingWritten, unsettled, || self.inner.enqueue_for_worker(item.clone())).await
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        with_retries("fetch_work_item", Repeat::Always, unsettled, || {
            self.inner.fetch_work_item(lock_timeout, poll_timeout, session, tag_filter)
        })
        .await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        with_retries("ack_work_item", Repeat::ByTokenUntilSettled, done, || self.inner.ack_work_item(token, completion.clone())).await
    }

    async fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        with_retries("renew_work_item_lock", Repeat::ByTokenUntilSettled, unsettled, || self.inner.renew_work_item_lock(token, extend_for))
            .await
    }

    async fn abandon_work_item(&self, token: &str, delay: Option<Duration>, ignore_attempt: bool) -> Result<(), ProviderError> {
        with_retries("abandon_work_item", Repeat::ByToken, done, || self.inner.abandon_work_item(token, delay, ignore_attempt)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn permanent(message: &str) -> ProviderError {
        ProviderError::permanent("op", message)
    }

    #[test]
    fn restarts_and_rollbacks_wrote_nothing_and_broken_connections_may_have() {
        let admin = "Database error: error returned from database: terminating connection due to administrator command";
        assert_eq!(fault(&permanent(admin)), Fault::NothingWritten);
        assert_eq!(fault(&permanent("Database error: the database system is starting up")), Fault::NothingWritten);
        assert_eq!(fault(&permanent("Serialization failure: could not serialize access")), Fault::NothingWritten);
        assert_eq!(fault(&ProviderError::retryable("op", "Connection pool error: pool timed out while waiting")), Fault::NothingWritten);
        assert_eq!(fault(&ProviderError::retryable("op", "I/O error: Connection reset by peer (os error 104)")), Fault::Unknown);
        assert_eq!(fault(&permanent("Duplicate detected: duplicate key value")), Fault::Lasting);
        assert_eq!(fault(&permanent("Invalid lock token")), Fault::Lasting);
        assert_eq!(fault(&ProviderError::retryable("op", "attempted to acquire a connection on a closed pool")), Fault::Lasting);
    }

    /// Answers with the given errors in turn, then Ok.
    fn answers(errors: Vec<ProviderError>) -> (AtomicU32, Vec<ProviderError>) {
        (AtomicU32::new(0), errors)
    }

    async fn call(script: &(AtomicU32, Vec<ProviderError>)) -> Result<(), ProviderError> {
        let n = script.0.fetch_add(1, Ordering::SeqCst) as usize;
        match script.1.get(n) {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    #[tokio::test]
    async fn an_ack_whose_answer_was_lost_is_settled_when_its_token_is_gone() {
        let script = answers(vec![
            ProviderError::retryable("ack", "I/O error: connection reset"),
            permanent("terminating connection due to administrator command"),
            permanent("Invalid lock token"),
        ]);
        let acked = with_retries("ack", Repeat::ByTokenUntilSettled, done, || call(&script)).await;
        assert!(acked.is_ok(), "{acked:?}");
        assert_eq!(script.0.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_token_gone_at_the_first_attempt_is_an_error() {
        let script = answers(vec![permanent("Invalid lock token")]);
        let acked = with_retries("ack", Repeat::ByTokenUntilSettled, done, || call(&script)).await;
        assert_eq!(acked.unwrap_err().message, "Invalid lock token");
    }

    #[tokio::test]
    async fn an_enqueue_is_repeated_only_when_nothing_was_written() {
        let script = answers(vec![permanent("terminating connection due to administrator command")]);
        assert!(with_retries("enqueue", Repeat::IfNothingWritten, unsettled, || call(&script)).await.is_ok());
        let script = answers(vec![ProviderError::retryable("enqueue", "I/O error: broken pipe")]);
        let sent = with_retries("enqueue", Repeat::IfNothingWritten, unsettled, || call(&script)).await;
        assert_eq!(sent.unwrap_err().message, "I/O error: broken pipe");
        assert_eq!(script.0.load(Ordering::SeqCst), 1);
    }
}
