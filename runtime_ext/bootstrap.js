// Entry point of the `duroxide` extension: gives user scripts the globals a Node
// script expects (console, timers, encoders, URL, structuredClone, process), the
// CommonJS loader, and hands the generator/activity hooks to the Rust host.
import {
  op_cjs_compile,
  op_cjs_resolve,
  op_host_set_hooks,
  op_process_exit,
  op_process_info,
  op_read_text_file,
  op_console_write,
} from "ext:core/ops";
import { Console, setNoColorFns } from "ext:deno_console/01_console.js";
import * as timers from "ext:deno_web/02_timers.js";
import { TextDecoder, TextEncoder } from "ext:deno_web/08_text_encoding.js";
import { structuredClone } from "ext:deno_web/02_structured_clone.js";
import { atob, btoa } from "ext:deno_web/05_base64.js";
import { DOMException } from "ext:deno_web/01_dom_exception.js";
import { AbortController, AbortSignal } from "ext:deno_web/03_abort_signal.js";
import { Event, EventTarget } from "ext:deno_web/02_event.js";
import { performance } from "ext:deno_web/15_performance.js";
import { URL, URLSearchParams } from "ext:deno_url/00_url.js";
import * as sdk from "ext:duroxide/sdk.js";
import { hostHooks } from "ext:duroxide/driver.js";
import { installGuard } from "ext:duroxide/guard.js";
import { serveWorkflows, setMainModule, setMainNamespace, workflowExports } from "ext:duroxide/workflow_module.js";

const info = op_process_info();
setNoColorFns(() => !info.stdoutIsTty, () => !info.stderrIsTty);

function define(name, value) {
  Object.defineProperty(globalThis, name, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

define("console", new Console((msg, level) => op_console_write(msg, level > 1)));
define("setTimeout", timers.setTimeout);
define("clearTimeout", timers.clearTimeout);
define("setInterval", timers.setInterval);
define("clearInterval", timers.clearInterval);
define("setImmediate", timers.setImmediate);
// queueMicrotask comes from deno_core itself.
const queueMicrotask = globalThis.queueMicrotask;
define("structuredClone", structuredClone);
define("TextEncoder", TextEncoder);
define("TextDecoder", TextDecoder);
define("URL", URL);
define("URLSearchParams", URLSearchParams);
define("atob", atob);
define("btoa", btoa);
define("DOMException", DOMException);
define("AbortController", AbortController);
define("AbortSignal", AbortSignal);
define("Event", Event);
define("EventTarget", EventTarget);
define("performance", performance);
define("global", globalThis);
installGuard(define);

// A minimal `process`: what workflow scripts use from Node's.
const processObject = {
  argv: info.argv,
  env: info.env,
  platform: info.platform,
  pid: info.pid,
  exitCode: undefined,
  exit(code) {
    const c = code === undefined ? processObject.exitCode : code;
    op_process_exit(Number(c ?? 0) | 0);
  },
  cwd: () => info.cwd,
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  hrtime: Object.assign(
    () => {
      const ns = BigInt(Math.round(performance.now() * 1e6));
      return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
    },
    { bigint: () => BigInt(Math.round(performance.now() * 1e6)) },
  ),
  on() {
    return processObject;
  },
};
define("process", processObject);

// -- CommonJS --
const moduleCache = new Map();

function makeRequire(fromFile) {
  function require(specifier) {
    if (specifier === "duroxide" || specifier === "duroxide-node") {
      return sdk.moduleObject;
    }
    const path = op_cjs_resolve(String(specifier), fromFile);
    const cached = moduleCache.get(path);
    if (cached) return cached.exports;
    const module = { id: path, filename: path, exports: {}, loaded: false };
    moduleCache.set(path, module);
    try {
      if (path.endsWith(".json")) {
        module.exports = JSON.parse(op_read_text_file(path));
      } else {
        const wrapper = op_cjs_compile(path);
        const dirname = path.slice(0, path.lastIndexOf("/")) || "/";
        wrapper.call(module.exports, module.exports, makeRequire(path), module, path, dirname);
      }
    } catch (e) {
      moduleCache.delete(path);
      throw e;
    }
    module.loaded = true;
    return module.exports;
  }
  require.cache = moduleCache;
  return require;
}

// Runs the main file as CommonJS and returns "cjs"; returns "esm" (running
// nothing) when the file only parses as an ES module, so the host loads it so.
function runMainCommonJs(path) {
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
  const dirname = path.slice(0, path.lastIndexOf("/")) || "/";
  wrapper.call(module.exports, module.exports, makeRequire(path), module, path, dirname);
  module.loaded = true;
  return "cjs";
}

function isEsmOnlySyntax(message) {
  return message.includes("Cannot use import statement outside a module") ||
    message.includes("Unexpected token 'export'") ||
    message.includes("Cannot use 'import.meta' outside a module") ||
    message.includes("await is only valid in async functions");
}

function readExitCode() {
  const c = processObject.exitCode;
  return String(c === undefined || c === null ? 0 : Number(c) | 0);
}

op_host_set_hooks({
  ...hostHooks,
  runMainCommonJs,
  readExitCode,
  setMainNamespace,
  workflowExports,
  serveWorkflows,
});

// The `duroxide` ES module (resolved by the host's module loader) reads it here.
Object.defineProperty(globalThis, Symbol.for("duroxide.sdk"), { value: sdk.moduleObject });
delete globalThis.Deno;
