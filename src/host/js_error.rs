//! Turns JS exceptions into the text users see: the message first, then the
//! stack frames that belong to user code (built-in `ext:` frames hidden,
//! `file://` URLs shown as paths).

use deno_core::error::{CoreError, JsError};
use deno_core::v8;

/// Describes the exception caught by `scope`.
pub fn describe_exception(scope: &mut v8::TryCatch<v8::HandleScope>) -> String {
    if scope.has_terminated() {
        return "execution terminated".to_string();
    }
    match scope.exception() {
        Some(exception) => format_js_error(&JsError::from_v8_exception(scope, exception)),
        None => "unknown JavaScript error".to_string(),
    }
}

pub fn format_core_error(error: &CoreError) -> String {
    match error {
        CoreError::Js(js) => format_js_error(js),
        other => display_paths(&other.to_string()),
    }
}

pub fn format_js_error(error: &JsError) -> String {
    let mut out = display_paths(&error.exception_message);
    let stack_frames: Vec<&str> =
        error.stack.as_deref().map(|s| s.lines().skip_while(|l| !l.trim_start().starts_with("at ")).collect()).unwrap_or_default();
    let user_frames: Vec<String> =
        stack_frames.iter().filter(|l| !l.contains("ext:")).map(|l| format!("    {}", display_paths(l.trim()))).collect();
    if !user_frames.is_empty() {
        for frame in user_frames {
            out.push('\n');
            out.push_str(&frame);
        }
    } else if let Some(location) =
        error.frames.iter().find(|f| f.file_name.as_deref().is_some_and(|n| !n.starts_with("ext:"))).and_then(|f| f.maybe_format_location())
    {
        // A syntax error has no stack, only the place where parsing stopped.
        out.push_str(&format!(" at {}", display_paths(&location)));
    }
    out.push_str(&type_export_hint(&out));
    out
}

/// Types are removed file by file (as `tsc --isolatedModules` assumes), so an
/// interface named in a plain `export { X } from` or `import { X }` reaches V8
/// as a missing export; say what to write instead.
fn type_export_hint(text: &str) -> String {
    let Some(rest) = text.split("does not provide an export named '").nth(1) else { return String::new() };
    let in_typescript = [".ts:", ".mts:", ".cts:"].iter().any(|ext| text.contains(ext));
    match rest.split('\'').next() {
        Some(name) if in_typescript => format!(" (if '{name}' is a type, use `import type` / `export type` for it)"),
        _ => String::new(),
    }
}

/// `path:line:column` of the first frame of user code in `trace` (not the
/// binary's own `ext:` JavaScript), at the TypeScript line where the file was
/// transpiled (the isolate's `SourceMaps` slot).
pub fn first_user_frame(scope: &mut v8::HandleScope, trace: v8::Local<v8::StackTrace>) -> Option<String> {
    let maps = scope.get_slot::<super::modules::typescript::SourceMaps>().cloned();
    (0..trace.get_frame_count()).find_map(|i| {
        let frame = trace.get_frame(scope, i)?;
        let name = frame.get_script_name(scope)?.to_rust_string_lossy(scope);
        if name.is_empty() || name.starts_with("ext:") {
            return None;
        }
        let (line, column) = (frame.get_line_number() as u32, frame.get_column() as u32);
        let (line, column) = maps.as_ref().map_or((line, column), |maps| maps.original(&name, line, column));
        Some(display_paths(&format!("{name}:{line}:{column}")))
    })
}

/// `file:///a/b.js:3:4` reads better as `/a/b.js:3:4`.
pub fn display_paths(text: &str) -> String {
    text.replace("file://", "")
}

#[cfg(test)]
mod tests {
    use super::{display_paths, type_export_hint};

    #[test]
    fn a_missing_export_in_typescript_hints_at_type_only_exports() {
        let text = "Uncaught SyntaxError: The requested module './lib.ts' does not provide an export named 'Shape' at /app/main.ts:1:10";
        assert_eq!(type_export_hint(text), " (if 'Shape' is a type, use `import type` / `export type` for it)");
        assert_eq!(type_export_hint("... does not provide an export named 'x' at /app/main.mjs:1:10"), "");
        assert_eq!(type_export_hint("Uncaught Error: boom at /app/main.ts:1:1"), "");
    }

    #[test]
    fn file_urls_become_paths() {
        assert_eq!(display_paths("at main (file:///tmp/a.js:3:9)"), "at main (/tmp/a.js:3:9)");
    }
}
