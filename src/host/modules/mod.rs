//! Module resolution, for `require` and `import` alike: builtin names served
//! by extension modules (`duroxide`, `fs`, `node:fs`), npm packages under
//! `node_modules` (packages.rs), and local files by relative, absolute or
//! `file:` paths. CommonJS adds Node's extension and `index.js` probing; an
//! ES module importing a CommonJS file gets a wrapper module over `require`.

mod cjs_exports;
mod packages;
pub mod transpile_cache;
pub mod typescript;

use std::path::{Path, PathBuf};

use deno_core::error::ModuleLoaderError;
use deno_core::{
    resolve_import, ModuleLoadResponse, ModuleLoader, ModuleSource, ModuleSourceCode, ModuleSpecifier, ModuleType,
    RequestedModuleType, ResolutionKind,
};
use deno_error::JsErrorBox;

use super::js_error::display_paths;

/// Every module name Node has built in; those this build does not provide
/// are refused by name instead of being looked up as files or packages.
/// (`test` is not here: Node has it only as `node:test`; a bare `test` is a package.)
const NODE_BUILTINS: &[&str] = &[
    "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram",
    "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https", "inspector", "module", "net", "os",
    "path", "perf_hooks", "process", "punycode", "querystring", "readline", "repl", "sea", "sqlite", "stream",
    "string_decoder", "sys", "timers", "tls", "trace_events", "tty", "url", "util", "v8", "vm", "wasi",
    "worker_threads", "zlib",
];

/// What a specifier names.
#[derive(Debug, PartialEq)]
pub enum Resolved {
    /// An extension module, by its `ext:` specifier.
    Builtin(&'static str),
    /// A file to run as CommonJS (or JSON).
    File(PathBuf),
    /// A file that is an ES module (`.mjs`, or a package of `"type": "module"`).
    EsModule(PathBuf),
}

/// The global through which a wrapper module reaches `require` (set by commonjs.js).
pub const REQUIRE_GLOBAL: &str = "__duroxideRequire";

/// The resolution rules of this isolate (kept in its op state for `require`).
#[derive(Clone)]
pub struct Resolver {
    builtins: &'static [(&'static str, &'static str)],
}

pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    joined.canonicalize().unwrap_or(joined)
}

/// A path as the user would write it: relative to the current folder when under it, without `./`.
pub fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let relative = path.strip_prefix(&cwd).unwrap_or(path);
    relative.strip_prefix(".").unwrap_or(relative).display().to_string()
}

fn is_path(specifier: &str) -> bool {
    specifier == "." || specifier == ".." ||
    specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/')
}

impl Resolver {
    pub fn new(builtins: &'static [(&'static str, &'static str)]) -> Resolver {
        Resolver { builtins }
    }

    /// A builtin by its name, with or without `node:`; names listed with `node:` only with it.
    fn builtin(&self, specifier: &str) -> Option<&'static str> {
        let name = specifier.strip_prefix("node:").unwrap_or(specifier);
        let exact = self.builtins.iter().find(|(n, _)| *n == specifier);
        exact.or_else(|| self.builtins.iter().find(|(n, _)| *n == name)).map(|(_, module)| *module)
    }

    /// A Node builtin this build does not have: one line that names it.
    fn refused(&self, specifier: &str) -> Option<String> {
        let name = specifier.strip_prefix("node:").unwrap_or(specifier);
        let known = NODE_BUILTINS.contains(&name.split('/').next().unwrap_or(name));
        (specifier.starts_with("node:") || known).then(|| format!("node:{name} is not available in duroxide"))
    }

    /// Node's resolution of `require(specifier)` from `from_file`.
    pub fn resolve_require(&self, specifier: &str, from_file: &Path) -> Result<Resolved, String> {
        if let Some(module) = self.builtin(specifier) {
            return Ok(Resolved::Builtin(module));
        }
        if let Some(refusal) = self.refused(specifier) {
            return Err(refusal);
        }
        let from = from_file.display();
        let dir = from_file.parent().unwrap_or(Path::new("/"));
        let file = if is_path(specifier) {
            let base = dir.join(specifier);
            packages::file_or_directory(&base)
                .ok_or_else(|| format!("Cannot find module '{specifier}' (required from {from}): no file {}", base.display()))?
        } else {
            self.package_file(specifier, dir, packages::Kind::Require)
                .map_err(|why| format!("Cannot find module '{specifier}' (required from {from}): {why}"))?
        };
        refuse_native(specifier, &file)?;
        let file = absolute(&file);
        Ok(if packages::is_es_module(&file) { Resolved::EsModule(file) } else { Resolved::File(file) })
    }

    /// The file a bare specifier names in the nearest `node_modules` above `dir`.
    fn package_file(&self, specifier: &str, dir: &Path, kind: packages::Kind) -> Result<PathBuf, String> {
        let (name, subpath) = packages::split(specifier).ok_or_else(|| format!("'{specifier}' is not a package name"))?;
        let package = packages::find_package(name, dir).ok_or_else(|| {
            format!("no package '{name}' in node_modules above {} (run npm install?)", dir.display())
        })?;
        packages::resolve_in_package(&package, &subpath, kind)
    }

    /// The URL an `import` of `specifier` from `referrer` (a URL) loads.
    pub fn resolve_import(&self, specifier: &str, referrer: &str) -> Result<ModuleSpecifier, String> {
        if let Some(module) = self.builtin(specifier) {
            return ModuleSpecifier::parse(module).map_err(|e| e.to_string());
        }
        // Already resolved (deno_core refuses `ext:` imports from user code before asking).
        if specifier.starts_with("ext:") {
            return ModuleSpecifier::parse(specifier).map_err(|e| e.to_string());
        }
        if let Some(refusal) = self.refused(specifier) {
            return Err(refusal);
        }
        if is_path(specifier) || specifier.starts_with("file:") {
            let url = resolve_import(specifier, referrer).map_err(|e| e.to_string())?;
            return Ok(typescript_sibling(&url).unwrap_or(url));
        }
        let from = ModuleSpecifier::parse(referrer).ok().and_then(|u| u.to_file_path().ok());
        let dir = from.as_deref().and_then(Path::parent).unwrap_or(Path::new("/"));
        let file = self.package_file(specifier, dir, packages::Kind::Import).map_err(|why| {
            format!("Cannot find module '{specifier}' imported from {}: {why}", display_paths(referrer))
        })?;
        refuse_native(specifier, &file)?;
        ModuleSpecifier::from_file_path(absolute(&file)).map_err(|_| format!("cannot turn {} into a URL", file.display()))
    }
}

/// For a relative import of a file that is not there, the file TypeScript
/// tools would take: `./lib.js` written for `./lib.ts` (tsc's convention), or
/// `./lib` without an extension (as tsx and ts-node allow).
fn typescript_sibling(url: &ModuleSpecifier) -> Option<ModuleSpecifier> {
    let path = url.to_file_path().ok()?;
    if path.exists() {
        return None;
    }
    let swapped = match path.extension().and_then(|e| e.to_str()) {
        Some("js") => Some(path.with_extension("ts")),
        Some("mjs") => Some(path.with_extension("mts")),
        Some("cjs") => Some(path.with_extension("cts")),
        _ => None,
    };
    let file = swapped.filter(|p| p.is_file()).or_else(|| packages::file_or_directory(&path))?;
    ModuleSpecifier::from_file_path(absolute(&file)).ok()
}

/// A native addon cannot run here; say so instead of failing to parse it.
fn refuse_native(specifier: &str, file: &Path) -> Result<(), String> {
    if file.extension().is_some_and(|e| e == "node") {
        return Err(format!(
            "'{specifier}' is a native addon ({}), which duroxide cannot load: use a package written in JavaScript",
            file.display()
        ));
    }
    Ok(())
}

/// An ES module that gives an importer a CommonJS file: its `module.exports`
/// as the default export, and the names it visibly assigns as named exports.
fn commonjs_wrapper(path: &Path, source: &str) -> String {
    let literal = serde_json::to_string(&path.display().to_string()).unwrap_or_default();
    let mut code = format!("const m = globalThis.{REQUIRE_GLOBAL}({literal});\nexport default m;\n");
    for name in cjs_exports::exported_names(source) {
        code.push_str(&format!("export const {name} = m.{name};\n"));
    }
    code
}

pub struct UserModuleLoader {
    resolver: Resolver,
    source_maps: typescript::SourceMaps,
}

impl UserModuleLoader {
    /// `source_maps` is shared with `require` (in OpState), which transpiles CommonJS TypeScript.
    pub fn new(resolver: Resolver, source_maps: typescript::SourceMaps) -> UserModuleLoader {
        UserModuleLoader { resolver, source_maps }
    }
}

impl ModuleLoader for UserModuleLoader {
    fn resolve(&self, specifier: &str, referrer: &str, _kind: ResolutionKind) -> Result<ModuleSpecifier, ModuleLoaderError> {
        self.resolver.resolve_import(specifier, referrer).map_err(|e| JsErrorBox::type_error(e).into())
    }

    fn load(
        &self,
        specifier: &ModuleSpecifier,
        referrer: Option<&ModuleSpecifier>,
        _is_dyn_import: bool,
        _requested: RequestedModuleType,
    ) -> ModuleLoadResponse {
        ModuleLoadResponse::Sync(load_file(specifier, referrer, &self.source_maps))
    }

    /// deno_core asks for the map of a file when a stack trace points into it.
    fn get_source_map(&self, file_name: &str) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.source_maps.get(file_name).map(std::borrow::Cow::Owned)
    }
}

fn load_file(specifier: &ModuleSpecifier, referrer: Option<&ModuleSpecifier>, maps: &typescript::SourceMaps) -> Result<ModuleSource, ModuleLoaderError> {
    let path = specifier
        .to_file_path()
        .map_err(|_| JsErrorBox::type_error(format!("Cannot load '{specifier}': only local files can be imported")))?;
    let code = std::fs::read_to_string(&path).map_err(|e| {
        let from = referrer.map(|r| format!(" (imported from {})", display_paths(r.as_str()))).unwrap_or_default();
        JsErrorBox::type_error(format!("Cannot load module {}{from}: {e}", path.display()))
    })?;
    if path.extension().is_some_and(|e| e == "json") {
        return Ok(ModuleSource::new(ModuleType::Json, ModuleSourceCode::String(code.into()), specifier, None));
    }
    if typescript::is_typescript(&path) {
        let code = match typescript::transpile_if_module(&path, code.clone(), maps).map_err(JsErrorBox::generic)? {
            Some(module) => module,
            None => commonjs_wrapper(&path, &code),
        };
        return Ok(ModuleSource::new(ModuleType::JavaScript, ModuleSourceCode::String(code.into()), specifier, None));
    }
    // CommonJS inside a package (or .cjs) is run by `require`; the importer gets a wrapper.
    let commonjs = path.extension().is_some_and(|e| e == "cjs")
        || (path.components().any(|c| c.as_os_str() == "node_modules") && !packages::is_es_module(&path));
    let code = if commonjs { commonjs_wrapper(&path, &code) } else { code };
    Ok(ModuleSource::new(ModuleType::JavaScript, ModuleSourceCode::String(code.into()), specifier, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILTINS: &[(&str, &str)] = &[("duroxide", "ext:sdk/mod.js"), ("node:test", "ext:test.js")];

    #[test]
    fn builtins_resolve_alike_for_require_and_import() {
        let r = Resolver::new(BUILTINS);
        assert_eq!(r.resolve_require("duroxide", Path::new("/a/b.js")).unwrap(), Resolved::Builtin("ext:sdk/mod.js"));
        assert_eq!(r.resolve_import("duroxide", "file:///a/b.mjs").unwrap().as_str(), "ext:sdk/mod.js");
        assert_eq!(r.resolve_require("node:duroxide", Path::new("/a/b.js")).unwrap(), Resolved::Builtin("ext:sdk/mod.js"));
        assert_eq!(r.resolve_require("net", Path::new("/a/b.js")).unwrap_err(), "node:net is not available in duroxide");
        assert_eq!(r.resolve_import("node:zlib", "file:///a/b.mjs").unwrap_err(), "node:zlib is not available in duroxide");
        assert_eq!(r.resolve_import("./c.mjs", "file:///a/b.mjs").unwrap().as_str(), "file:///a/c.mjs");
    }

    #[test]
    fn a_builtin_listed_with_node_prefix_needs_it() {
        let r = Resolver::new(BUILTINS);
        assert_eq!(r.resolve_require("node:test", Path::new("/a/b.js")).unwrap(), Resolved::Builtin("ext:test.js"));
        assert_eq!(r.resolve_import("node:test", "file:///a/b.mjs").unwrap().as_str(), "ext:test.js");
        assert!(r.builtin("test").is_none(), "a bare `test` is looked up as a package, as in Node");
    }
}
