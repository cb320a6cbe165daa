//! Printing: aligned tables and key/value blocks for people, JSON with --json.

use serde_json::Value;

pub use crate::engine::documents::with_parsed_output;

pub fn print_json(value: &Value) {
    print_line(&serde_json::to_string_pretty(value).unwrap_or_default());
}

/// One line on stdout; a reader that went away is not an error (see `quiet_on_closed_pipe`).
pub fn print_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// Columns separated by two spaces, padded to the widest cell.
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

pub fn print_fields(fields: &[(&str, String)]) {
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in fields {
        println!("{:<width$}  {value}", format!("{key}:"), width = width + 1);
    }
}

/// Epoch milliseconds as `2026-11-26 13:22:33.123` (UTC).
/// Zero (what duroxide's SQLite store reports for instance times) shows as `-`.
pub fn time(ms: u64) -> String {
    i64::try_from(ms)
        .ok()
        .filter(|ms| *ms > 0)
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| "-".into())
}

/// A value as compact text, cut to `max` characters.
pub fn short(value: &Value, max: usize) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        text
    } else {
        format!("{}...", text.chars().take(max.saturating_sub(3)).collect::<String>())
    }
}
