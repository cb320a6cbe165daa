//! The layers of src/ (README, "Layout"): each imports only those below it.
//! cli -> runtime_ext -> bridge -> engine | host; engine knows no V8, host no duroxide.

use std::path::{Path, PathBuf};

use crate::support::repo;

/// The top-level modules a source file names through `crate::` (grouped
/// imports included), and whether it names the V8 or duroxide crates.
fn crate_modules(source: &str) -> Vec<String> {
    let code: String = source.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let mut found = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group[..end].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(first_ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            found.push(first_ident(&group[start..end]));
        } else {
            found.push(first_ident(rest));
        }
    }
    found.retain(|m| !m.is_empty());
    found
}

fn first_ident(text: &str) -> String {
    text.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

fn names_crate(source: &str, name: &str) -> bool {
    source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .any(|l| l.contains(&format!("{name}::")) || l.contains(&format!("use {name};")))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Every `crate::` module or external crate that files under `dir` must not name.
fn violations(dir: &str, forbidden_modules: &[&str], forbidden_crates: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(&repo().join(dir)) {
        let source = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(repo()).unwrap().display().to_string();
        for module in crate_modules(&source) {
            if forbidden_modules.contains(&module.as_str()) {
                found.push(format!("{shown} uses crate::{module}"));
            }
        }
        for name in forbidden_crates {
            if names_crate(&source, name) {
                found.push(format!("{shown} uses the {name} crate"));
            }
        }
    }
    found
}

#[test]
fn the_import_check_sees_grouped_and_plain_paths() {
    let source = "use crate::{engine::store, host::{self, x}};\nuse crate::bridge::y;\n// crate::cli in a comment\n";
    assert_eq!(crate_modules(source), vec!["engine", "host", "bridge"]);
    assert!(names_crate("let s = v8::String::new();", "v8"));
    assert!(!names_crate("// v8::String in a comment", "v8"));
}

#[test]
fn engine_knows_no_v8_and_nothing_above_it() {
    let found = violations("src/engine", &["host", "bridge", "cli", "runtime_ext"], &["deno_core", "v8", "deno_error"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn host_knows_no_duroxide_and_nothing_above_it() {
    let found = violations("src/host", &["engine", "bridge", "cli", "runtime_ext"], &["duroxide", "duroxide_pg"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn bridge_and_extensions_do_not_reach_up() {
    let mut found = violations("src/bridge", &["cli", "runtime_ext"], &[]);
    found.extend(violations("runtime_ext", &["cli"], &[]));
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_dashboard_sees_the_engine_and_nothing_of_v8() {
    let found = violations("src/web", &["host", "bridge", "cli", "runtime_ext"], &["deno_core", "v8"]);
    assert!(found.is_empty(), "{found:#?}");
}
