//! npm packages under `node_modules`, found as Node finds them: walking up
//! from the importing file, then `package.json`'s `exports` (subpaths,
//! `*` patterns, conditions), else `main`, else `index.js`.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Which of a package's `exports` conditions apply.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Require,
    Import,
}

impl Kind {
    fn conditions(self) -> &'static [&'static str] {
        match self {
            Kind::Require => &["require", "node", "default"],
            Kind::Import => &["import", "node", "default"],
        }
    }
}

/// `name` and `./subpath` of a bare specifier (`@scope/pkg/sub` too); None if it is not one.
pub fn split(specifier: &str) -> Option<(&str, String)> {
    let parts: Vec<&str> = specifier.splitn(3, '/').collect();
    let name_len = if specifier.starts_with('@') {
        if parts.len() < 2 || parts[1].is_empty() {
            return None;
        }
        parts[0].len() + 1 + parts[1].len()
    } else {
        parts[0].len()
    };
    if name_len == 0 {
        return None;
    }
    let (name, rest) = specifier.split_at(name_len);
    Some((name, if rest.is_empty() { ".".to_string() } else { format!(".{rest}") }))
}

/// The folder of package `name` for a file in `from_dir`: the nearest `node_modules/name` above it.
pub fn find_package(name: &str, from_dir: &Path) -> Option<PathBuf> {
    from_dir.ancestors().map(|dir| dir.join("node_modules").join(name)).find(|p| p.is_dir())
}

fn read_manifest(dir: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).ok()?).ok()
}

/// The file `subpath` (`.` or `./x`) of the package in `dir` names.
pub fn resolve_in_package(dir: &Path, subpath: &str, kind: Kind) -> Result<PathBuf, String> {
    let manifest = read_manifest(dir).unwrap_or(Value::Null);
    if let Some(exports) = manifest.get("exports").filter(|e| !e.is_null()) {
        let target = resolve_exports(exports, subpath, kind.conditions())
            .ok_or_else(|| format!("subpath '{subpath}' is not exported by {}", dir.join("package.json").display()))?;
        let file = dir.join(target.trim_start_matches("./"));
        return file.is_file().then_some(file.clone()).ok_or_else(|| format!("{} (listed in its exports) does not exist", file.display()));
    }
    let target = if subpath == "." {
        let main = manifest.get("main").and_then(Value::as_str).filter(|m| !m.is_empty()).unwrap_or("index.js");
        dir.join(main)
    } else {
        dir.join(subpath.trim_start_matches("./"))
    };
    file_or_directory(&target).ok_or_else(|| format!("no file {} in package {}", target.display(), dir.display()))
}

/// Node's LOAD_AS_FILE then LOAD_AS_DIRECTORY for `path`.
pub fn file_or_directory(path: &Path) -> Option<PathBuf> {
    let shown = path.display();
    let files = [
        path.to_path_buf(),
        PathBuf::from(format!("{shown}.js")),
        PathBuf::from(format!("{shown}.cjs")),
        PathBuf::from(format!("{shown}.mjs")),
        PathBuf::from(format!("{shown}.json")),
        PathBuf::from(format!("{shown}.ts")),
        PathBuf::from(format!("{shown}.cts")),
        PathBuf::from(format!("{shown}.mts")),
    ];
    if let Some(file) = files.iter().find(|p| p.is_file()) {
        return Some(file.clone());
    }
    if !path.is_dir() {
        return None;
    }
    if let Some(main) = read_manifest(path).and_then(|m| m.get("main").and_then(Value::as_str).map(String::from)) {
        if let Some(file) = file_or_directory(&path.join(main)).filter(|f| f.is_file()) {
            return Some(file);
        }
    }
    [path.join("index.js"), path.join("index.cjs"), path.join("index.json")].into_iter().find(|p| p.is_file())
}

/// `exports` applied to `subpath`: the target path (`./dist/x.js`), or None when not exported.
pub fn resolve_exports(exports: &Value, subpath: &str, conditions: &[&str]) -> Option<String> {
    let map = match exports {
        Value::Object(m) if m.keys().next().is_some_and(|k| k.starts_with('.')) => m,
        // A string, an array, or a conditions object: the package's "." alone.
        other => return if subpath == "." { target(other, "", conditions) } else { None },
    };
    if let Some(exact) = map.get(subpath) {
        return target(exact, "", conditions);
    }
    // The longest `*` pattern whose prefix and suffix enclose the subpath.
    let mut best: Option<(&str, &Value, String)> = None;
    for (key, value) in map {
        let Some((prefix, suffix)) = key.split_once('*') else { continue };
        if subpath.len() >= prefix.len() + suffix.len() && subpath.starts_with(prefix) && subpath.ends_with(suffix) {
            let matched = subpath[prefix.len()..subpath.len() - suffix.len()].to_string();
            if best.as_ref().is_none_or(|(k, _, _)| key.len() > k.len()) {
                best = Some((key, value, matched));
            }
        }
    }
    let (_, value, matched) = best?;
    target(value, &matched, conditions)
}

fn target(value: &Value, matched: &str, conditions: &[&str]) -> Option<String> {
    match value {
        Value::String(s) => Some(s.replace('*', matched)),
        Value::Array(options) => options.iter().find_map(|v| target(v, matched, conditions)),
        Value::Object(by_condition) => by_condition
            .iter()
            .find(|(condition, _)| conditions.contains(&condition.as_str()))
            .and_then(|(_, v)| target(v, matched, conditions)),
        _ => None,
    }
}

/// Whether `file` is an ES module by Node's rules: `.mjs`, or `.js` under a
/// nearest package.json that says `"type": "module"`.
pub fn is_es_module(file: &Path) -> bool {
    match file.extension().and_then(|e| e.to_str()) {
        Some("mjs" | "mts") => true,
        Some("cjs" | "cts") => false,
        Some("ts") => super::typescript::kind_of(file) == super::typescript::Kind::EsModule,
        Some("js") => file
            .ancestors()
            .skip(1)
            .find_map(read_manifest)
            .is_some_and(|m| m.get("type").and_then(Value::as_str) == Some("module")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const REQUIRE: &[&str] = &["require", "node", "default"];
    const IMPORT: &[&str] = &["import", "node", "default"];

    #[test]
    fn bare_specifiers_split_into_package_and_subpath() {
        assert_eq!(split("lodash"), Some(("lodash", ".".to_string())));
        assert_eq!(split("lodash/fp/map"), Some(("lodash", "./fp/map".to_string())));
        assert_eq!(split("@scope/pkg"), Some(("@scope/pkg", ".".to_string())));
        assert_eq!(split("@scope/pkg/x.js"), Some(("@scope/pkg", "./x.js".to_string())));
        assert_eq!(split("@scope"), None);
    }

    #[test]
    fn exports_conditions_subpaths_and_patterns() {
        let exports = json!({
            ".": { "import": "./esm/index.js", "require": "./cjs/index.js" },
            "./feature": { "node": { "import": "./esm/f.js", "default": "./cjs/f.js" } },
            "./utils/*": "./dist/utils/*.js",
            "./utils/internal/*": null,
            "./package.json": "./package.json"
        });
        assert_eq!(resolve_exports(&exports, ".", REQUIRE).as_deref(), Some("./cjs/index.js"));
        assert_eq!(resolve_exports(&exports, ".", IMPORT).as_deref(), Some("./esm/index.js"));
        assert_eq!(resolve_exports(&exports, "./feature", REQUIRE).as_deref(), Some("./cjs/f.js"));
        assert_eq!(resolve_exports(&exports, "./feature", IMPORT).as_deref(), Some("./esm/f.js"));
        assert_eq!(resolve_exports(&exports, "./utils/a/b", REQUIRE).as_deref(), Some("./dist/utils/a/b.js"));
        assert_eq!(resolve_exports(&exports, "./utils/internal/x", REQUIRE), None);
        assert_eq!(resolve_exports(&exports, "./missing", REQUIRE), None);
        assert_eq!(resolve_exports(&json!("./main.js"), ".", REQUIRE).as_deref(), Some("./main.js"));
        assert_eq!(resolve_exports(&json!({"default": "./d.js"}), ".", IMPORT).as_deref(), Some("./d.js"));
    }
}
