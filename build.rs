//! Passes the target triple to the code, and marks the PostgreSQL tests runnable (cfg `pg_tests`) when the tests are
//! built with DUROXIDE_TEST_PG_URL set; without it they are `#[ignore]`d, so a
//! run shows them as ignored instead of passing them silently.

fn main() {
    // The target triple, for deno's build info (`core.setBuildInfo`).
    println!("cargo::rustc-env=TARGET={}", std::env::var("TARGET").unwrap_or_default());
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=DUROXIDE_TEST_PG_URL");
    if std::env::var_os("DUROXIDE_TEST_PG_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}
