//! CommonJS `require` (commonjs.js): resolution by the host's rules, and
//! compilation of a file into its module wrapper with its own line numbers.

use std::path::Path;

use deno_core::{op2, v8, OpState};
use deno_error::JsErrorBox;

use super::{err, type_err};
use crate::host::modules::{typescript, Resolved, Resolver};

deno_core::extension!(
    duroxide_modules,
    ops = [op_cjs_resolve, op_cjs_compile, op_read_text_file],
    esm = ["ext:duroxide/commonjs.js" = "runtime_ext/commonjs.js"],
);

/// An absolute file path (CommonJS or JSON), the `file://` URL of an ES
/// module, or the `ext:` specifier of a builtin module.
#[op2]
#[string]
fn op_cjs_resolve(state: &mut OpState, #[string] specifier: String, #[string] from_file: String) -> Result<String, JsErrorBox> {
    match state.borrow::<Resolver>().resolve_require(&specifier, Path::new(&from_file)).map_err(type_err)? {
        Resolved::Builtin(module) => Ok(module.to_string()),
        Resolved::File(path) => Ok(path.display().to_string()),
        Resolved::EsModule(path) => deno_core::ModuleSpecifier::from_file_path(&path)
            .map(|url| url.to_string())
            .map_err(|_| type_err(format!("cannot turn {} into a URL", path.display()))),
    }
}

#[op2]
#[string]
fn op_read_text_file(#[string] path: String) -> Result<String, JsErrorBox> {
    std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read {path}: {e}")))
}

/// Compiles a CommonJS file into `function (exports, require, module,
/// __filename, __dirname)` with the file's own name and line numbers.
#[op2]
fn op_cjs_compile<'s>(scope: &mut v8::HandleScope<'s>, #[string] path: String) -> Result<v8::Local<'s, v8::Function>, JsErrorBox> {
    let code = std::fs::read_to_string(&path).map_err(|e| err(format!("cannot read {path}: {e}")))?;
    let code = if typescript::is_typescript(Path::new(&path)) {
        // The map goes where deno_core will look for it before V8 sees the code.
        let maps = deno_core::JsRuntime::op_state_from(scope).borrow().borrow::<typescript::SourceMaps>().clone();
        typescript::transpile_commonjs(Path::new(&path), code, &maps).map_err(|e| match e.strip_prefix("SyntaxError: ") {
            Some(text) => JsErrorBox::new("SyntaxError", text.to_string()),
            None => JsErrorBox::generic(e),
        })?
    } else {
        code
    };
    let code = code.strip_prefix("#!").map(|rest| format!("//{rest}")).unwrap_or(code);
    let source = v8::String::new(scope, &code).ok_or_else(|| err(format!("{path} is too large")))?;
    let name = v8::String::new(scope, &path).ok_or_else(|| err("path too long"))?;
    let origin = v8::ScriptOrigin::new(scope, name.into(), 0, 0, false, 0, None, false, false, false, None);
    let mut source = v8::script_compiler::Source::new(source, Some(&origin));
    let params: Vec<v8::Local<v8::String>> =
        ["exports", "require", "module", "__filename", "__dirname"].iter().filter_map(|p| v8::String::new(scope, p)).collect();
    let tc = &mut v8::TryCatch::new(scope);
    let compiled = v8::script_compiler::compile_function(
        tc,
        &mut source,
        &params,
        &[],
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    );
    match compiled {
        Some(f) => Ok(f),
        None => {
            let (text, location) = match tc.message() {
                Some(m) => {
                    let text = m.get(tc).to_rust_string_lossy(tc);
                    let line = m.get_line_number(tc).unwrap_or(0) as u32;
                    let column = m.get_start_column() as u32 + 1;
                    // V8's place is in the transpiled code of a TypeScript file.
                    let maps = deno_core::JsRuntime::op_state_from(tc).borrow().borrow::<typescript::SourceMaps>().clone();
                    let (line, column) = maps.original(&path, line, column);
                    (text, format!("{path}:{line}:{column}"))
                }
                None => ("SyntaxError".to_string(), path.clone()),
            };
            let text = text.strip_prefix("Uncaught ").unwrap_or(&text);
            let text = text.strip_prefix("SyntaxError: ").unwrap_or(text);
            Err(JsErrorBox::new("SyntaxError", format!("{text} at {location}")))
        }
    }
}
