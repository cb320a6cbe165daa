//! TypeScript: types stripped by deno_ast (no type checking), as Node's type
//! stripping and tsx do. The source map of each file is kept so that deno_core
//! maps stack traces back to the lines of the `.ts` file.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use deno_ast::diagnostics::Diagnostic;
use deno_ast::ModuleKind;
use deno_ast::{
    DecoratorsTranspileOption, EmitOptions, ImportsNotUsedAsValues, MediaType, ModuleSpecifier, ParseParams, SourceMapOption,
    TranspileModuleOptions, TranspileOptions,
};

/// Whether `path` is TypeScript by its extension.
pub fn is_typescript(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "ts" | "mts" | "cts"))
}

/// Source maps of the files transpiled in this isolate, by the name V8 gives
/// their code (the module URL, or the path for CommonJS).
#[derive(Clone, Default)]
pub struct SourceMaps(Rc<RefCell<Maps>>);

#[derive(Default)]
struct Maps {
    raw: HashMap<String, Vec<u8>>,
    /// Parsed on first use by [`SourceMaps::original`].
    parsed: HashMap<String, deno_core::sourcemap::SourceMap>,
}

impl SourceMaps {
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        self.0.try_borrow().ok()?.raw.get(name).cloned()
    }

    fn put(&self, name: String, map: Vec<u8>) {
        let mut maps = self.0.borrow_mut();
        maps.parsed.remove(&name);
        maps.raw.insert(name, map);
    }

    /// The TypeScript line and column (1-based) of a place V8 reports in the
    /// transpiled code of `name`; the place itself for code that was not
    /// transpiled. deno_core maps the stack traces it formats; this is for the
    /// frames read straight from V8 (yield sites, the watchdog).
    pub fn original(&self, name: &str, line: u32, column: u32) -> (u32, u32) {
        let Ok(mut maps) = self.0.try_borrow_mut() else { return (line, column) };
        let maps = &mut *maps;
        if !maps.parsed.contains_key(name) {
            let Some(parsed) = maps.raw.get(name).and_then(|raw| deno_core::sourcemap::SourceMap::from_slice(raw).ok()) else {
                return (line, column);
            };
            maps.parsed.insert(name.to_string(), parsed);
        }
        let token = maps.parsed.get(name).and_then(|map| map.lookup_token(line.saturating_sub(1), column.saturating_sub(1)));
        token.map_or((line, column), |t| (t.get_src_line() + 1, t.get_src_col() + 1))
    }
}

/// How a transpiled file is run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// An ES module, named by its `file://` URL.
    EsModule,
    /// CommonJS (`.cts`, or a `.ts` file without import/export), compiled by
    /// `require` under its plain path.
    CommonJs,
}

/// A TypeScript file as JavaScript: how it runs, its code, its source map.
pub struct Transpiled {
    pub kind: Kind,
    pub code: String,
    pub map: Option<Vec<u8>>,
}

/// Whether the TypeScript file at `path` is an ES module: `.mts` always,
/// `.cts` never, `.ts` when it has `import` or `export` (as Node detects it).
/// Deciding a `.ts` file's kind transpiles it (through the cache), so the
/// load that follows costs nothing more.
pub fn kind_of(path: &Path) -> Kind {
    by_extension(path).unwrap_or_else(|| {
        let transpiled = std::fs::read_to_string(path).ok().and_then(|text| transpile_file(path, text).ok());
        transpiled.map_or(Kind::EsModule, |t| t.kind)
    })
}

fn by_extension(path: &Path) -> Option<Kind> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("mts") => Some(Kind::EsModule),
        Some("cts") => Some(Kind::CommonJs),
        _ => None,
    }
}

fn by_syntax(parsed: &deno_ast::ParsedSource) -> Kind {
    if parsed.compute_is_script() {
        Kind::CommonJs
    } else {
        Kind::EsModule
    }
}

fn file_url(path: &Path) -> ModuleSpecifier {
    ModuleSpecifier::from_file_path(path).unwrap_or_else(|_| ModuleSpecifier::parse("file:///unknown.ts").expect("a valid URL"))
}

/// For an `import`: the JavaScript of the file when it is an ES module (its
/// source map kept in `maps` under its URL), or None when it is CommonJS (the
/// importer then gets a wrapper around `require`).
pub fn transpile_if_module(path: &Path, text: String, maps: &SourceMaps) -> Result<Option<String>, String> {
    let transpiled = transpile_file(path, text)?;
    match transpiled.kind {
        Kind::CommonJs => Ok(None),
        Kind::EsModule => Ok(Some(transpiled.keep_map(path, maps))),
    }
}

/// For `require`: the JavaScript of a CommonJS TypeScript file (its source
/// map kept in `maps` under its path).
pub fn transpile_commonjs(path: &Path, text: String, maps: &SourceMaps) -> Result<String, String> {
    let transpiled = transpile_file(path, text)?;
    match transpiled.kind {
        Kind::CommonJs => Ok(transpiled.keep_map(path, maps)),
        Kind::EsModule => Err(format!("{} is an ES module: load it with import, not require", path.display())),
    }
}

impl Transpiled {
    /// The code, once its map is where deno_core looks for it: under the name
    /// V8 gives the code (the module URL, or the plain path for CommonJS).
    fn keep_map(self, path: &Path, maps: &SourceMaps) -> String {
        if let Some(map) = self.map {
            let name = match self.kind {
                Kind::EsModule => file_url(path).to_string(),
                Kind::CommonJs => path.display().to_string(),
            };
            maps.put(name, map);
        }
        self.code
    }
}

/// The file as JavaScript, its kind by extension or syntax, from the process's
/// cache when it holds this text. A syntax error is one line:
/// `SyntaxError: message at /path/file.ts:line:column`.
pub fn transpile_file(path: &Path, text: String) -> Result<Transpiled, String> {
    let Some(cache) = super::transpile_cache::process_cache() else { return transpile_now(path, text) };
    let key = cache.key(path, &text);
    if let Some(hit) = cache.load(&key) {
        return Ok(hit);
    }
    let transpiled = transpile_now(path, text)?;
    cache.store(&key, &transpiled);
    Ok(transpiled)
}

fn transpile_now(path: &Path, text: String) -> Result<Transpiled, String> {
    let specifier = file_url(path);
    let parsed = deno_ast::parse_program(ParseParams {
        specifier: specifier.clone(),
        text: text.into(),
        media_type: MediaType::from_specifier(&specifier),
        capture_tokens: false,
        scope_analysis: false,
        maybe_syntax: None,
    })
    .map_err(|diagnostic| {
        let at = diagnostic.display_position();
        format!("SyntaxError: {} at {}:{}:{}", diagnostic.message(), path.display(), at.line_number, at.column_number)
    })?;
    let kind = by_extension(path).unwrap_or_else(|| by_syntax(&parsed));
    let options = TranspileOptions {
        // TypeScript 5's decorators (the TC39 proposal), not `experimentalDecorators`.
        decorators: DecoratorsTranspileOption::Ecma,
        imports_not_used_as_values: ImportsNotUsedAsValues::Remove,
        jsx: None,
        ..Default::default()
    };
    let module_kind = match kind {
        Kind::EsModule => ModuleKind::Esm,
        Kind::CommonJs => ModuleKind::Cjs,
    };
    let emit = EmitOptions { source_map: SourceMapOption::Separate, inline_sources: false, ..Default::default() };
    let emitted = parsed
        .transpile(&options, &TranspileModuleOptions { module_kind: Some(module_kind) }, &emit)
        .map_err(|e| format!("cannot compile {}: {e}", path.display()))?
        .into_source();
    Ok(Transpiled { kind, code: emitted.text, map: emitted.source_map.map(String::into_bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(format!("/work/{name}"))
    }

    #[test]
    fn types_are_stripped_and_the_map_is_kept() {
        let maps = SourceMaps::default();
        let code =
            transpile_if_module(&path("a.ts"), "const n: number = 1;\nexport function f(x: string): string { return x; }\n".into(), &maps)
                .unwrap()
                .unwrap();
        assert!(code.contains("const n = 1;") && code.contains("export function f(x) {"), "{code}");
        assert!(!code.contains("sourceMappingURL"), "the map is kept apart: {code}");
        assert!(maps.get("file:///work/a.ts").is_some_and(|m| String::from_utf8_lossy(&m).contains("\"mappings\"")));
    }

    #[test]
    fn enums_and_parameter_properties_become_javascript() {
        let code = transpile_file(&path("b.mts"), "enum Color { Red, Green }\nclass P { constructor(private x: number) {} }\n".into())
            .unwrap()
            .code;
        assert!(code.contains("Color[Color[\"Red\"] = 0] = \"Red\""), "{code}");
        assert!(code.contains("this.x = x"), "{code}");
    }

    #[test]
    fn a_syntax_error_is_one_line_with_the_place() {
        let err = transpile_file(&path("c.ts"), "const x: number = ;\n".into()).err().unwrap();
        assert_eq!(err, "SyntaxError: Expression expected at /work/c.ts:1:19");
    }
}
