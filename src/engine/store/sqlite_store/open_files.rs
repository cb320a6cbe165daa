//! The database files this process has open through our store. Opening a
//! file the first time checks and creates it with plain file calls (damage
//! check, schema); doing that while a connection of this process holds the
//! file would, on closing the descriptor, drop every POSIX lock the process
//! holds on it, and another process could then delete the WAL under our
//! connection (see docs/sqlite-store-plan.md). A second store on an open file
//! skips those steps: the first one did them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// Open stores per file (canonical path). Global because POSIX locks are per process (src/globals.rs).
static OPEN: LazyLock<Mutex<HashMap<PathBuf, usize>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// A file counted as open until this is dropped.
pub struct OpenFile(PathBuf);

/// The file's identity: its canonical path (a stat of each part, no open), or the path as given if it does not exist.
fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn table() -> std::sync::MutexGuard<'static, HashMap<PathBuf, usize>> {
    OPEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a store of this process has `path` open now.
pub fn is_open(path: &Path) -> bool {
    table().get(&key(path)).is_some_and(|n| *n > 0)
}

impl OpenFile {
    pub fn new(path: &Path) -> OpenFile {
        let key = key(path);
        *table().entry(key.clone()).or_insert(0) += 1;
        OpenFile(key)
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        let mut open = table();
        if let Some(n) = open.get_mut(&self.0) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_open_while_one_of_its_stores_is() {
        let dir = std::env::temp_dir().join(format!("duroxide-open-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.db");
        std::fs::write(&file, b"").unwrap();
        assert!(!is_open(&file));
        let first = OpenFile::new(&file);
        let second = OpenFile::new(&dir.join(".").join("a.db"));
        assert!(is_open(&file), "the same file by another path");
        drop(first);
        assert!(is_open(&file));
        drop(second);
        assert!(!is_open(&file));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
