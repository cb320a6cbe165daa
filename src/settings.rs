//! Knobs read from the environment, once, at the edge (`duroxide run`). A
//! value that is not understood is an error that names the variable, never
//! a silent default.

use std::path::PathBuf;

use crate::bridge;
use crate::engine::store::Durability;

/// `DUROXIDE_GENERATOR_CACHE`: generators kept between turns (0 = off).
const GENERATOR_CACHE: &str = "DUROXIDE_GENERATOR_CACHE";
/// `DUROXIDE_REPLAY_CHECK=1`: replay every resumed turn and fail on divergence.
const REPLAY_CHECK: &str = "DUROXIDE_REPLAY_CHECK";
/// `DUROXIDE_NO_WAKEUPS=1`: no in-process wake-ups (for benchmarks).
const NO_WAKEUPS: &str = "DUROXIDE_NO_WAKEUPS";

/// `DUROXIDE_CACHE_DIR`: where transpiled TypeScript is kept (`off`: nowhere).
const CACHE_DIR: &str = "DUROXIDE_CACHE_DIR";

const DEFAULT_GENERATOR_CACHE: usize = 1000;

/// The directory of the TypeScript cache: `DUROXIDE_CACHE_DIR`, else the
/// user's cache directory (`$XDG_CACHE_HOME/duroxide`, `~/.cache/duroxide`);
/// None when it is `off` or there is no home to put it in.
pub fn typescript_cache(get: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    match set(CACHE_DIR) {
        Some(dir) if dir.trim() == "off" => None,
        Some(dir) => Some(PathBuf::from(dir).join("typescript")),
        None => set("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| set("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|cache| cache.join("duroxide").join("typescript")),
    }
}

/// Reads the knobs through `get` (the environment, or a table in tests).
pub fn bridge_settings(get: impl Fn(&str) -> Option<String>) -> Result<bridge::Settings, String> {
    let generator_cache = match get(GENERATOR_CACHE).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        None => DEFAULT_GENERATOR_CACHE,
        Some(v) => {
            v.parse().map_err(|_| format!("{GENERATOR_CACHE} must be a number of generators to keep (0 turns the cache off), got '{v}'"))?
        }
    };
    Ok(bridge::Settings {
        generator_cache,
        replay_check: flag(&get, REPLAY_CHECK)?,
        no_wake_ups: flag(&get, NO_WAKEUPS)?,
        sqlite_sync: Durability::default(),
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

pub fn typescript_cache_from_env() -> Option<PathBuf> {
    typescript_cache(|name| std::env::var(name).ok())
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
    fn the_typescript_cache_is_in_the_users_cache_directory_unless_told() {
        let cache = |pairs: &[(&str, &str)]| {
            let table: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            typescript_cache(|name| table.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
        };
        assert_eq!(cache(&[("HOME", "/home/u")]), Some(PathBuf::from("/home/u/.cache/duroxide/typescript")));
        assert_eq!(cache(&[("HOME", "/home/u"), ("XDG_CACHE_HOME", "/c")]), Some(PathBuf::from("/c/duroxide/typescript")));
        assert_eq!(cache(&[("HOME", "/home/u"), (CACHE_DIR, "/tmp/d")]), Some(PathBuf::from("/tmp/d/typescript")));
        assert_eq!(cache(&[("HOME", "/home/u"), (CACHE_DIR, "off")]), None);
        assert_eq!(cache(&[]), None);
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
