//! Module resolution, for `require` and `import` alike: builtin names served
//! by extension modules (`duroxide`), and local files by relative, absolute
//! or `file:` paths. CommonJS adds Node's extension and `index.js` probing.

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
const NODE_BUILTINS: &[&str] = &[
    "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram",
    "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https", "inspector", "module", "net", "os",
    "path", "perf_hooks", "process", "punycode", "querystring", "readline", "repl", "sea", "sqlite", "stream",
    "string_decoder", "sys", "test", "timers", "tls", "trace_events", "tty", "url", "util", "v8", "vm", "wasi",
    "worker_threads", "zlib",
];

/// What a specifier names.
#[derive(Debug, PartialEq)]
pub enum Resolved {
    /// An extension module, by its `ext:` specifier.
    Builtin(&'static str),
    File(PathBuf),
}

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

fn is_path(specifier: &str) -> bool {
    specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/')
}

impl Resolver {
    pub fn new(builtins: &'static [(&'static str, &'static str)]) -> Resolver {
        Resolver { builtins }
    }

    fn builtin(&self, specifier: &str) -> Option<&'static str> {
        let name = specifier.strip_prefix("node:").unwrap_or(specifier);
        self.builtins.iter().find(|(n, _)| *n == name).map(|(_, module)| *module)
    }

    /// A Node builtin this build does not have: one line that names it.
    fn refused(&self, specifier: &str) -> Option<String> {
        let name = specifier.strip_prefix("node:").unwrap_or(specifier);
        let known = NODE_BUILTINS.contains(&name.split('/').next().unwrap_or(name));
        (specifier.starts_with("node:") || known).then(|| format!("node:{name} is not available in duroxide"))
    }

    /// What the message of an unresolvable bare name says is available.
    fn available(&self) -> String {
        let names: Vec<String> = self.builtins.iter().map(|(name, _)| format!("'{name}'")).collect();
        let modules = match names.as_slice() {
            [one] => format!("the {one} module"),
            many => format!("the modules {}", many.join(", ")),
        };
        format!("duroxide provides {modules} and files given by relative or absolute paths")
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
        if !is_path(specifier) {
            return Err(format!("Cannot find module '{specifier}' (required from {from}): {}", self.available()));
        }
        let base = from_file.parent().unwrap_or(Path::new("/")).join(specifier);
        let candidates = [
            base.clone(),
            PathBuf::from(format!("{}.js", base.display())),
            PathBuf::from(format!("{}.cjs", base.display())),
            PathBuf::from(format!("{}.json", base.display())),
            base.join("index.js"),
        ];
        candidates
            .iter()
            .find(|p| p.is_file())
            .map(|p| Resolved::File(absolute(p)))
            .ok_or_else(|| format!("Cannot find module '{specifier}' (required from {from}): no file {}", base.display()))
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
        if !is_path(specifier) && !specifier.starts_with("file:") {
            return Err(format!(
                "Cannot find module '{specifier}' imported from {}: {}",
                display_paths(referrer),
                self.available()
            ));
        }
        resolve_import(specifier, referrer).map_err(|e| e.to_string())
    }
}

pub struct UserModuleLoader {
    resolver: Resolver,
}

impl UserModuleLoader {
    pub fn new(resolver: Resolver) -> UserModuleLoader {
        UserModuleLoader { resolver }
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
        ModuleLoadResponse::Sync(load_file(specifier, referrer))
    }
}

fn load_file(specifier: &ModuleSpecifier, referrer: Option<&ModuleSpecifier>) -> Result<ModuleSource, ModuleLoaderError> {
    let path = specifier
        .to_file_path()
        .map_err(|_| JsErrorBox::type_error(format!("Cannot load '{specifier}': only local files can be imported")))?;
    let code = std::fs::read_to_string(&path).map_err(|e| {
        let from = referrer.map(|r| format!(" (imported from {})", display_paths(r.as_str()))).unwrap_or_default();
        JsErrorBox::type_error(format!("Cannot load module {}{from}: {e}", path.display()))
    })?;
    let module_type = if path.extension().is_some_and(|e| e == "json") { ModuleType::Json } else { ModuleType::JavaScript };
    Ok(ModuleSource::new(module_type, ModuleSourceCode::String(code.into()), specifier, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILTINS: &[(&str, &str)] = &[("duroxide", "ext:sdk/mod.js")];

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
}
