//! A one-line spinner on stderr while waiting, shown only when both stdout and
//! stderr are terminals, so pipelines and logs get nothing extra.

use std::io::{IsTerminal, Write};

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub struct Spinner {
    enabled: bool,
    frame: usize,
}

impl Spinner {
    pub fn new() -> Self {
        Spinner { enabled: std::io::stdout().is_terminal() && std::io::stderr().is_terminal(), frame: 0 }
    }

    pub fn show(&mut self, text: &str) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr();
        let _ = write!(err, "\r\x1b[2K{} {text}", FRAMES[self.frame % FRAMES.len()]);
        let _ = err.flush();
        self.frame += 1;
    }

    pub fn clear(&mut self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.clear();
    }
}

/// What the spinner says about an instance: its status and custom status.
pub fn describe(instance: &str, status: &crate::engine::shapes::Status) -> String {
    let state = &status.status;
    if let Some(start) = &status.queued {
        return format!("{instance}: {state} ({})", super::instance::queued_note(start));
    }
    match &status.custom_status {
        Some(custom) => format!("{instance}: {state} ({custom})"),
        None => format!("{instance}: {state}"),
    }
}
