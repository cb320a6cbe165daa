//! Transpiled TypeScript kept on disk, so that a restarted worker does not parse
//! an unchanged file again. An entry is named by a hash of everything that
//! decides the output (this format, our version, deno_ast's, the file's path,
//! which its source map names, and its text), so a changed file simply misses.
//! Entries are written to a temporary file and renamed into place: a reader
//! sees a whole entry or none, and workers sharing the directory may write the
//! same entry at once. Whatever goes wrong with the cache only costs a parse.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::typescript::{Kind, Transpiled};

/// Bumped when the entry layout or the transpile options change.
const FORMAT: &str = "duroxide-ts 1";

/// The cache of this process, set once by `duroxide run` (None: no cache).
static PROCESS_CACHE: OnceLock<Option<DiskCache>> = OnceLock::new();

pub fn configure(dir: Option<PathBuf>) {
    let _ = PROCESS_CACHE.set(dir.map(DiskCache::new));
}

pub fn process_cache() -> Option<&'static DiskCache> {
    PROCESS_CACHE.get().and_then(Option::as_ref)
}

pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub fn new(dir: PathBuf) -> DiskCache {
        DiskCache { dir }
    }

    pub fn key(&self, path: &Path, text: &str) -> String {
        let mut hash = Sha256::new();
        for part in [FORMAT, env!("CARGO_PKG_VERSION"), env!("DENO_AST_VERSION"), &path.display().to_string()] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.update(text.as_bytes());
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn entry(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.js"))
    }

    /// The entry under `key`; None when there is none or it is not whole.
    pub fn load(&self, key: &str) -> Option<Transpiled> {
        let bytes = std::fs::read(self.entry(key)).ok()?;
        decode(key, &bytes)
    }

    pub fn store(&self, key: &str, transpiled: &Transpiled) {
        if let Err(e) = self.try_store(key, transpiled) {
            tracing::debug!("TypeScript not cached in {}: {e}", self.dir.display());
        }
    }

    fn try_store(&self, key: &str, transpiled: &Transpiled) -> std::io::Result<()> {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        std::fs::create_dir_all(&self.dir)?;
        let temporary = self.dir.join(format!(".{key}.{}.{}.tmp", std::process::id(), WRITES.fetch_add(1, Ordering::Relaxed)));
        let written = std::fs::File::create(&temporary).and_then(|mut file| file.write_all(&encode(key, transpiled)));
        let renamed = written.and_then(|()| std::fs::rename(&temporary, self.entry(key)));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        renamed
    }
}

/// A header line (format, key, kind, lengths), then the code, then the map.
fn encode(key: &str, t: &Transpiled) -> Vec<u8> {
    let kind = match t.kind {
        Kind::EsModule => "esm",
        Kind::CommonJs => "cjs",
    };
    let map: &[u8] = t.map.as_deref().unwrap_or_default();
    let mut bytes = format!("{FORMAT} {key} {kind} {} {}\n", t.code.len(), map.len()).into_bytes();
    bytes.extend_from_slice(t.code.as_bytes());
    bytes.extend_from_slice(map);
    bytes
}

fn decode(key: &str, bytes: &[u8]) -> Option<Transpiled> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..newline]).ok()?;
    let rest = header.strip_prefix(FORMAT)?.strip_prefix(' ')?;
    let [found_key, kind, code_len, map_len] = rest.split(' ').collect::<Vec<_>>()[..] else { return None };
    let kind = match kind {
        "esm" => Kind::EsModule,
        "cjs" => Kind::CommonJs,
        _ => return None,
    };
    let (code_len, map_len): (usize, usize) = (code_len.parse().ok()?, map_len.parse().ok()?);
    let body = &bytes[newline + 1..];
    if found_key != key || body.len() != code_len.checked_add(map_len)? {
        return None;
    }
    let code = String::from_utf8(body[..code_len].to_vec()).ok()?;
    let map = (map_len > 0).then(|| body[code_len..].to_vec());
    Some(Transpiled { kind, code, map })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("duroxide-ts-cache-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn sample(code: &str) -> Transpiled {
        Transpiled { kind: Kind::CommonJs, code: code.into(), map: Some(b"{\"mappings\":\"AAAA\"}".to_vec()) }
    }

    #[test]
    fn a_stored_entry_comes_back_and_a_changed_text_or_path_misses() {
        let cache = DiskCache::new(temp_dir("roundtrip"));
        let key = cache.key(Path::new("/app/a.ts"), "const a: number = 1;");
        assert!(cache.load(&key).is_none());
        cache.store(&key, &sample("const a = 1;"));
        let back = cache.load(&key).unwrap();
        assert_eq!((back.kind, back.code.as_str(), back.map), (Kind::CommonJs, "const a = 1;", sample("").map));
        assert_ne!(cache.key(Path::new("/app/a.ts"), "const a: number = 2;"), key);
        assert_ne!(cache.key(Path::new("/app/b.ts"), "const a: number = 1;"), key);
        let _ = std::fs::remove_dir_all(&cache.dir);
    }

    #[test]
    fn torn_or_foreign_entries_are_misses() {
        let cache = DiskCache::new(temp_dir("torn"));
        let key = cache.key(Path::new("/app/a.ts"), "x");
        cache.store(&key, &sample("const a = 1;"));
        let whole = std::fs::read(cache.entry(&key)).unwrap();
        std::fs::write(cache.entry(&key), &whole[..whole.len() - 3]).unwrap();
        assert!(cache.load(&key).is_none(), "a cut entry");
        std::fs::write(cache.entry(&key), b"garbage").unwrap();
        assert!(cache.load(&key).is_none(), "garbage");
        let other = cache.key(Path::new("/app/b.ts"), "x");
        std::fs::write(cache.entry(&other), &whole).unwrap();
        assert!(cache.load(&other).is_none(), "an entry stored under another key");
        let _ = std::fs::remove_dir_all(&cache.dir);
    }

    #[test]
    fn concurrent_writers_of_one_entry_never_give_a_reader_a_partial_one() {
        let dir = temp_dir("concurrent");
        let code = "x".repeat(200_000);
        let key = DiskCache::new(dir.clone()).key(Path::new("/app/big.ts"), &code);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let cache = DiskCache::new(dir.clone());
                    for _ in 0..20 {
                        cache.store(&key, &sample(&code));
                        if let Some(read) = cache.load(&key) {
                            assert_eq!(read.code.len(), code.len());
                        }
                    }
                });
            }
        });
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from(format!("{key}.js"))], "no temporary files are left");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_that_cannot_be_made_costs_only_the_cache() {
        let file = temp_dir("not-a-dir");
        std::fs::write(&file, "a file where the directory should be").unwrap();
        let cache = DiskCache::new(file.join("sub"));
        let key = cache.key(Path::new("/app/a.ts"), "x");
        cache.store(&key, &sample("const a = 1;"));
        assert!(cache.load(&key).is_none());
        let _ = std::fs::remove_file(&file);
    }
}
