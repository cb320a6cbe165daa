//! `duroxide --version`: ours, then the engine parts a bug report needs (versions locked at build time
//! by build.rs; V8's own version asked from V8).

use std::sync::OnceLock;

pub fn text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        format!(
            "{} (duroxide {}, deno_core {}, V8 {})",
            env!("CARGO_PKG_VERSION"),
            env!("DUROXIDE_CORE_VERSION"),
            env!("DENO_CORE_VERSION"),
            deno_core::v8::V8::get_version(),
        )
    })
}
