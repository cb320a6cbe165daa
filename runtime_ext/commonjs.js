// CommonJS: `require` for files (resolved by the host's rules, compiled with
// their own line numbers) and for builtin modules (their default export, as
// Node's `require` gives a builtin's module.exports).
import { op_cjs_compile, op_cjs_resolve, op_import_sync, op_read_text_file } from "ext:core/ops";
import { setMainModule } from "ext:duroxide/workflow_module.js";

const moduleCache = new Map();

function requireBuiltin(specifier) {
  const cached = moduleCache.get(specifier);
  if (cached) return cached.exports;
  const namespace = op_import_sync(specifier);
  const module = { id: specifier, exports: namespace.default ?? namespace, loaded: true };
  moduleCache.set(specifier, module);
  return module.exports;
}

/** `require` of an ES module gives its namespace, as Node 22 does. */
function requireEsModule(url) {
  const cached = moduleCache.get(url);
  if (cached) return cached.exports;
  const module = { id: url, exports: op_import_sync(url), loaded: true };
  moduleCache.set(url, module);
  return module.exports;
}

function makeRequire(fromFile) {
  function require(specifier) {
    const resolved = op_cjs_resolve(String(specifier), fromFile);
    if (resolved.startsWith("ext:")) return requireBuiltin(resolved);
    if (resolved.startsWith("file://")) return requireEsModule(resolved);
    return requireFile(resolved);
  }
  require.cache = moduleCache;
  require.resolve = (specifier) => op_cjs_resolve(String(specifier), fromFile);
  return require;
}

/** Runs (once) the CommonJS file at the absolute `resolved` path; its `module.exports`. */
function requireFile(resolved) {
  const cached = moduleCache.get(resolved);
  if (cached) return cached.exports;
  const module = { id: resolved, filename: resolved, exports: {}, loaded: false };
  moduleCache.set(resolved, module);
  try {
    if (resolved.endsWith(".json")) {
      module.exports = JSON.parse(op_read_text_file(resolved));
    } else {
      const wrapper = op_cjs_compile(resolved);
      wrapper.call(module.exports, module.exports, makeRequire(resolved), module, resolved, dirnameOf(resolved));
    }
  } catch (e) {
    moduleCache.delete(resolved);
    throw e;
  }
  module.loaded = true;
  return module.exports;
}

// The wrapper modules that give ES modules a CommonJS file call this
// (host/modules: REQUIRE_GLOBAL).
Object.defineProperty(globalThis, "__duroxideRequire", { value: requireFile });

function dirnameOf(path) {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/**
 * Runs the main file as CommonJS and returns "cjs"; returns "esm" (running
 * nothing) when the file only parses as an ES module, so the host loads it so.
 */
export function runMainCommonJs(path) {
  let wrapper;
  try {
    wrapper = op_cjs_compile(path);
  } catch (e) {
    if (e instanceof SyntaxError && isEsmOnlySyntax(e.message)) return "esm";
    throw e;
  }
  const module = { id: ".", filename: path, exports: {}, loaded: false };
  moduleCache.set(path, module);
  setMainModule(module);
  wrapper.call(module.exports, module.exports, makeRequire(path), module, path, dirnameOf(path));
  module.loaded = true;
  return "cjs";
}

function isEsmOnlySyntax(message) {
  return message.includes("Cannot use import statement outside a module") ||
    message.includes("Unexpected token 'export'") ||
    message.includes("Cannot use 'import.meta' outside a module") ||
    message.includes("await is only valid in async functions");
}
