//! Passes the target triple to the code, marks whether the ETL example's npm
//! package is installed (cfg `etl_deps`), whether TypeScript's compiler is (cfg `ts_tools`), and marks the PostgreSQL tests runnable (cfg `pg_tests`) when the tests are
//! built with DUROXIDE_TEST_PG_URL set; without it they are `#[ignore]`d, so a
//! run shows them as ignored instead of passing them silently.

fn main() {
    // The target triple, for deno's build info (`core.setBuildInfo`).
    println!("cargo::rustc-env=TARGET={}", std::env::var("TARGET").unwrap_or_default());
    println!("cargo::rustc-check-cfg=cfg(pg_tests)");
    println!("cargo::rerun-if-env-changed=DUROXIDE_TEST_PG_URL");
    // The ETL example's test needs its npm package: `npm install` in examples/etl (.ci/run does).
    println!("cargo::rustc-check-cfg=cfg(etl_deps)");
    println!("cargo::rerun-if-changed=examples/etl/node_modules");
    if std::path::Path::new("examples/etl/node_modules/papaparse/package.json").is_file() {
        println!("cargo::rustc-cfg=etl_deps");
    }
    // The tsc checks of `duroxide types` need TypeScript's compiler: `npm ci` in tests/typecheck (.ci/run does).
    println!("cargo::rustc-check-cfg=cfg(ts_tools)");
    println!("cargo::rerun-if-changed=tests/typecheck/node_modules");
    if std::path::Path::new("tests/typecheck/node_modules/typescript/package.json").is_file() {
        println!("cargo::rustc-cfg=ts_tools");
    }
    browser_tests();
    locked_versions();
    if std::env::var_os("DUROXIDE_TEST_PG_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pg_tests");
    }
}

/// The dashboard's browser tests need chromedriver (Debian's chromium-driver; .ci/run installs it):
/// cfg `browser_tests` when it is on PATH, or where DUROXIDE_CHROMEDRIVER points.
fn browser_tests() {
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo::rerun-if-env-changed=DUROXIDE_CHROMEDRIVER");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=/usr/bin/chromedriver");
    let given = std::env::var_os("DUROXIDE_CHROMEDRIVER").map(std::path::PathBuf::from);
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|dir| dir.join("chromedriver")).find(|c| c.is_file()))
        .unwrap_or_default();
    if given.or(on_path).is_some_and(|p| p.is_file()) {
        println!("cargo::rustc-cfg=browser_tests");
    }
}

/// `duroxide --version` names the engine parts it was built with; Cargo.lock is the one place
/// that knows their exact versions.
fn locked_versions() {
    println!("cargo::rerun-if-changed=Cargo.lock");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    for (krate, var) in [("duroxide", "DUROXIDE_CORE_VERSION"), ("deno_core", "DENO_CORE_VERSION"), ("deno_ast", "DENO_AST_VERSION")] {
        let version = locked_version(&lock, krate).unwrap_or_else(|| "unknown".to_string());
        println!("cargo::rustc-env={var}={version}");
    }
}

fn locked_version(lock: &str, krate: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{krate}\"") {
            let version = lines.next()?.strip_prefix("version = \"")?;
            return Some(version.trim_end_matches('"').to_string());
        }
    }
    None
}
