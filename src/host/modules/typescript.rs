//! TypeScript: types stripped by deno_ast (no type checking), as Node's type
//! stripping and tsx do. The source map of each file is kept so that deno_core
//! maps stack traces back to the lines of the `.ts` file.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use deno_ast::diagnostics::Diagnostic;
use deno_ast::{
    DecoratorsTranspileOption, EmitOptions, ImportsNotUsedAsValues, MediaType, ModuleSpecifier, ParseParams, SourceMapOption,
    TranspileModuleOptions, TranspileOptions,
};

/// Whether `path` is TypeScript by its extension.
pub fn is_typescript(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "ts" | "mts" | "cts"))
}

/// Source maps of the files transpiled in this isolate, by the name V8 gives
/// their code (the module URL).
#[derive(Clone, Default)]
pub struct SourceMaps(Rc<RefCell<HashMap<String, Vec<u8>>>>);

impl SourceMaps {
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        self.0.borrow().get(name).cloned()
    }

    fn put(&self, name: String, map: Vec<u8>) {
        self.0.borrow_mut().insert(name, map);
    }
}

/// The JavaScript of the TypeScript file `specifier`, its source map kept in `maps`.
/// A syntax error is one line: `SyntaxError: message at /path/file.ts:line:column`.
pub fn transpile(specifier: &ModuleSpecifier, text: String, maps: &SourceMaps) -> Result<String, String> {
    let parsed = deno_ast::parse_program(ParseParams {
        specifier: specifier.clone(),
        text: text.into(),
        media_type: MediaType::from_specifier(specifier),
        capture_tokens: false,
        scope_analysis: false,
        maybe_syntax: None,
    })
    .map_err(|diagnostic| {
        let at = diagnostic.display_position();
        let path = specifier.to_file_path().map(|p| p.display().to_string()).unwrap_or_else(|_| specifier.to_string());
        format!("SyntaxError: {} at {path}:{}:{}", diagnostic.message(), at.line_number, at.column_number)
    })?;
    let options = TranspileOptions {
        // TypeScript 5's decorators (the TC39 proposal), not `experimentalDecorators`.
        decorators: DecoratorsTranspileOption::Ecma,
        imports_not_used_as_values: ImportsNotUsedAsValues::Remove,
        jsx: None,
        ..Default::default()
    };
    let emit = EmitOptions { source_map: SourceMapOption::Separate, inline_sources: false, ..Default::default() };
    let emitted = parsed
        .transpile(&options, &TranspileModuleOptions::default(), &emit)
        .map_err(|e| format!("cannot compile {}: {e}", specifier.to_file_path().map(|p| p.display().to_string()).unwrap_or_default()))?
        .into_source();
    if let Some(map) = emitted.source_map {
        maps.put(specifier.to_string(), map.into_bytes());
    }
    Ok(emitted.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(name: &str) -> ModuleSpecifier {
        ModuleSpecifier::parse(&format!("file:///work/{name}")).unwrap()
    }

    #[test]
    fn types_are_stripped_and_the_map_is_kept() {
        let maps = SourceMaps::default();
        let code =
            transpile(&url("a.ts"), "const n: number = 1;\nexport function f(x: string): string { return x; }\n".into(), &maps).unwrap();
        assert!(code.contains("const n = 1;") && code.contains("export function f(x) {"), "{code}");
        assert!(!code.contains("sourceMappingURL"), "the map is kept apart: {code}");
        assert!(maps.get("file:///work/a.ts").is_some_and(|m| String::from_utf8_lossy(&m).contains("\"mappings\"")));
    }

    #[test]
    fn enums_and_parameter_properties_become_javascript() {
        let maps = SourceMaps::default();
        let code =
            transpile(&url("b.ts"), "enum Color { Red, Green }\nclass P { constructor(private x: number) {} }\n".into(), &maps).unwrap();
        assert!(code.contains("Color[Color[\"Red\"] = 0] = \"Red\""), "{code}");
        assert!(code.contains("this.x = x"), "{code}");
    }

    #[test]
    fn a_syntax_error_is_one_line_with_the_place() {
        let err = transpile(&url("c.ts"), "const x: number = ;\n".into(), &SourceMaps::default()).unwrap_err();
        assert_eq!(err, "SyntaxError: Expression expected at /work/c.ts:1:19");
    }
}
