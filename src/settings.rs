//! Knobs read from the environment, once, at the edge (`duroxide run`). A
//! value that is not understood is an error that names the variable, never
//! a silent default.

use crate::bridge;

/// `DUROXIDE_GENERATOR_CACHE`: generators kept between turns (0 = off).
const GENERATOR_CACHE: &str = "DUROXIDE_GENERATOR_CACHE";
/// `DUROXIDE_REPLAY_CHECK=1`: replay every resumed turn and fail on divergence.
const REPLAY_CHECK: &str = "DUROXIDE_REPLAY_CHECK";
/// `DUROXIDE_NO_WAKEUPS=1`: no in-process wake-ups (for benchmarks).
const NO_WAKEUPS: &str = "DUROXIDE_NO_WAKEUPS";

const DEFAULT_GENERATOR_CACHE: usize = 1000;

/// Reads the knobs through `get` (the environment, or a table in tests).
pub fn bridge_settings(get: impl Fn(&str) -> Option<String>) -> Result<bridge::Settings, String> {
    let generator_cache = match get(GENERATOR_CACHE).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        None => DEFAULT_GENERATOR_CACHE,
        Some(v) => v.parse().map_err(|_| {
            format!("{GENERATOR_CACHE} must be a number of generators to keep (0 turns the cache off), got '{v}'")
        })?,
    };
    Ok(bridge::Settings {
        generator_cache,
        replay_check: flag(&get, REPLAY_CHECK)?,
        no_wake_ups: flag(&get, NO_WAKEUPS)?,
        activity_limits: bridge::activity::Limits::default(),
    })
}

/// 1/true/yes or 0/false/no (unset or empty is no).
fn flag(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<bool, String> {
    let Some(value) = get(name) else { return Ok(false) };
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "false" | "no" => Ok(false),
        "1" | "true" | "yes" => Ok(true),
        _ => Err(format!("{name} must be 1 or 0, got '{value}'")),
    }
}

pub fn from_env() -> Result<bridge::Settings, String> {
    bridge_settings(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<bridge::Settings, String> {
        let table: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        bridge_settings(|name| table.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn defaults_and_values() {
        let s = read(&[]).unwrap();
        assert_eq!((s.generator_cache, s.replay_check, s.no_wake_ups), (1000, false, false));
        let s = read(&[(GENERATOR_CACHE, "0"), (REPLAY_CHECK, "1"), (NO_WAKEUPS, "true")]).unwrap();
        assert_eq!((s.generator_cache, s.replay_check, s.no_wake_ups), (0, true, true));
    }

    #[test]
    fn values_not_understood_are_reported() {
        assert_eq!(
            read(&[(GENERATOR_CACHE, "lots")]).unwrap_err(),
            "DUROXIDE_GENERATOR_CACHE must be a number of generators to keep (0 turns the cache off), got 'lots'"
        );
        assert_eq!(read(&[(REPLAY_CHECK, "maybe")]).unwrap_err(), "DUROXIDE_REPLAY_CHECK must be 1 or 0, got 'maybe'");
    }
}
