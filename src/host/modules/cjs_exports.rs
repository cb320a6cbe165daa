//! The names a CommonJS file exports, read from its text the way Node's
//! cjs-module-lexer does in spirit (a smaller set of patterns), so that
//! `import { name } from "cjs-package"` works as it does in Node. A name not
//! found here is still on the default export (`module.exports`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

fn patterns() -> &'static [Regex; 3] {
    static PATTERNS: OnceLock<[Regex; 3]> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            // exports.name = / module.exports.name =
            Regex::new(r"(?m)(?:^|[^.\w$])(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=[^=]").unwrap(),
            // Object.defineProperty(exports, "name" / (module.exports, 'name'
            Regex::new(r#"Object\.defineProperty\(\s*(?:module\.)?exports\s*,\s*["']([A-Za-z_$][\w$]*)["']"#).unwrap(),
            // module.exports = { ... }
            Regex::new(r"(?m)(?:^|[^.\w$])module\.exports\s*=\s*\{").unwrap(),
        ]
    })
}

/// Exported names, sorted; never `default` or `__esModule`.
pub fn exported_names(source: &str) -> Vec<String> {
    let [assigned, defined, literal] = patterns();
    let mut names = BTreeSet::new();
    for captures in assigned.captures_iter(source).chain(defined.captures_iter(source)) {
        names.insert(captures[1].to_string());
    }
    for found in literal.find_iter(source) {
        names.extend(object_literal_keys(&source[found.end()..]));
    }
    names.retain(|n| n != "default" && n != "__esModule");
    names.into_iter().collect()
}

/// The top-level keys of an object literal whose body starts at `text`
/// (`a, b: 1, "c": f(), d() {}`); stops at the closing brace.
fn object_literal_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut expecting_key = true;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' | '(' | '[' => {
                depth += 1;
                expecting_key = false;
            }
            '}' | ')' | ']' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            ',' if depth == 0 => expecting_key = true,
            '\'' | '"' | '`' => {
                let start = i + 1;
                let mut end = start;
                for (j, d) in chars.by_ref() {
                    if d == c {
                        end = j;
                        break;
                    }
                }
                if expecting_key && depth == 0 && c != '`' {
                    keys.push(text[start..end].to_string());
                    expecting_key = false;
                }
            }
            c if expecting_key && depth == 0 && (c.is_alphabetic() || c == '_' || c == '$') => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '$' {
                        chars.next();
                        end = j + d.len_utf8();
                    } else {
                        break;
                    }
                }
                let word = &text[i..end];
                if word != "get" && word != "set" && word != "async" {
                    keys.push(word.to_string());
                    expecting_key = false;
                }
            }
            c if !c.is_whitespace() && depth == 0 => expecting_key = false,
            _ => {}
        }
    }
    keys.retain(|k| k.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$'));
    keys
}

#[cfg(test)]
mod tests {
    use super::exported_names;

    #[test]
    fn assignments_definitions_and_literals_are_found() {
        let source = r#"
            "use strict";
            Object.defineProperty(exports, "__esModule", { value: true });
            exports.parse = parse;
            module.exports.format = function () {};
            Object.defineProperty(exports, 'version', { get() { return 1; } });
            if (exports.x == null) {}
        "#;
        assert_eq!(exported_names(source), vec!["format", "parse", "version"]);
        let literal = "module.exports = { chunk, map: (a) => a, 'quoted': 1, nested: { inner: 2 }, method() {}, ...rest };";
        assert_eq!(exported_names(literal), vec!["chunk", "map", "method", "nested", "quoted"]);
    }
}
