//! SIGINT and SIGTERM while serving: watched on a thread of their own,
//! because the thread that would otherwise see them may be inside JavaScript
//! that does not give control back. The first one asks for a graceful stop
//! and sets a deadline (the grace plus a little) after which the process
//! exits anyway; a second one exits at once.

use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tokio::sync::watch;

use crate::failure::Failure;
use crate::host::watchdog::human;

/// Time beyond the grace for the runtime to release what it still holds.
const RELEASE_MARGIN: Duration = Duration::from_secs(2);

pub struct StopSignals {
    received: watch::Receiver<Option<i32>>,
}

impl StopSignals {
    /// Starts watching; a stop must be done `grace` (+2 s) after the first signal.
    pub fn watch(grace: Duration) -> Result<StopSignals, Failure> {
        let mut signals =
            Signals::new([SIGINT, SIGTERM]).map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
        let (tell, received) = watch::channel(None);
        std::thread::Builder::new()
            .name("duroxide-signals".into())
            .spawn(move || {
                let mut forever = signals.forever();
                let Some(first) = forever.next() else { return };
                let _ = tell.send(Some(first));
                let deadline = grace + RELEASE_MARGIN;
                std::thread::spawn(move || {
                    std::thread::sleep(deadline);
                    exit_now(first, &format!("in-flight work did not stop within {}", human(deadline)));
                });
                if forever.next().is_some() {
                    exit_now(first, "second signal");
                }
            })
            .map_err(|e| Failure::Failed(format!("cannot watch signals: {e}")))?;
        Ok(StopSignals { received })
    }

    /// Resolves with the signal once one arrived.
    pub async fn received(&self) -> i32 {
        let mut received = self.received.clone();
        let signal = received.wait_for(Option::is_some).await.map(|signal| signal.unwrap_or(SIGTERM));
        match signal {
            Ok(signal) => signal,
            // The watching thread is gone: no signal will ever come.
            Err(_) => std::future::pending().await,
        }
    }
}

/// 128 + the signal, as shells report a process a signal ended.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// Ends the process without unwinding: the main thread may be inside V8.
/// Work it held stays locked until its lock expires, as after a crash, and is
/// then retried: nothing is lost.
fn exit_now(signal: i32, why: &str) -> ! {
    let line = format!("duroxide: stopped at once ({why}); unfinished work is retried once its lock expires\n");
    // Straight to the file descriptor: the main thread may hold stderr's lock.
    // SAFETY: writes a buffer we own, then ends the process.
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
        libc::_exit(exit_code(signal))
    }
}
