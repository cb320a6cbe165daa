// Entry point of the extensions: gives user scripts the globals a Node script
// expects (console, timers, encoders, URL, structuredClone, process) and
// leaves the host the JS functions it calls by name (host/callbacks.rs).
import { core } from "ext:core/mod.js";
import * as timers from "ext:deno_web/02_timers.js";
import { TextDecoder, TextEncoder } from "ext:deno_web/08_text_encoding.js";
import { structuredClone } from "ext:deno_web/02_structured_clone.js";
import { atob, btoa } from "ext:deno_web/05_base64.js";
import { DOMException } from "ext:deno_web/01_dom_exception.js";
import { AbortController, AbortSignal } from "ext:deno_web/03_abort_signal.js";
import { Event, EventTarget } from "ext:deno_web/02_event.js";
import { performance } from "ext:deno_web/15_performance.js";
import { URL, URLSearchParams } from "ext:deno_url/00_url.js";
import { console, processObject, readExitCode } from "ext:duroxide/process.js";
import { runMainCommonJs } from "ext:duroxide/commonjs.js";
import { generatorCallbacks } from "ext:duroxide/driver.js";
import { runActivity } from "ext:duroxide/activity.js";
import { installGuard } from "ext:duroxide/guard.js";
import { crypto, fetch, webGlobals } from "ext:duroxide/web.js";
import { serveWorkflows, setMainNamespace, workflowExports } from "ext:duroxide/workflow_module.js";
// Evaluated now, so `require()` finds them ready (op_import_sync refuses a
// module that is loaded but not evaluated).
import "ext:duroxide/duroxide.js";
import "ext:duroxide/node/assert.js";
import "ext:duroxide/node/assert_strict.js";
import "ext:duroxide/node/buffer.js";
import "ext:duroxide/node/child_process.js";
import "ext:duroxide/node/crypto.js";
import "ext:duroxide/node/denied.js";
import "ext:duroxide/node/events.js";
import "ext:duroxide/node/fs.js";
import "ext:duroxide/node/fs_promises.js";
import "ext:duroxide/node/os.js";
import "ext:duroxide/node/path.js";
import "ext:duroxide/node/process.js";
import "ext:duroxide/node/querystring.js";
import "ext:duroxide/node/stream.js";
import "ext:duroxide/node/stream_promises.js";
import "ext:duroxide/node/string_decoder.js";
import "ext:duroxide/node/timers.js";
import "ext:duroxide/node/timers_promises.js";
import "ext:duroxide/node/url.js";
import "ext:duroxide/node/util.js";
import "ext:duroxide/node/util_types.js";
import "ext:duroxide/test.js";
import "ext:duroxide/testing.js";
import { Buffer } from "ext:duroxide/node/buffer.js";

function define(name, value) {
  Object.defineProperty(globalThis, name, {
    value,
    writable: true,
    enumerable: false,
    configurable: true,
  });
}

define("console", console);
define("setTimeout", timers.setTimeout);
define("clearTimeout", timers.clearTimeout);
define("setInterval", timers.setInterval);
define("clearInterval", timers.clearInterval);
define("setImmediate", timers.setImmediate);
// queueMicrotask comes from deno_core itself.
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
define("process", processObject);
define("Buffer", Buffer);
define("clearImmediate", timers.clearTimeout);
for (const [name, value] of Object.entries(webGlobals)) define(name, value);
installGuard(define, { fetch, crypto });

/**
 * After the watchdog stopped a stretch of JavaScript: restores what the
 * `finally` blocks it skipped would have (termination runs none of them).
 */
function afterStop() {
  generatorCallbacks.leaveStep();
  core.setAsyncContext(undefined);
}

// Read and deleted by the host as it boots.
globalThis.__duroxideHostCallbacks = {
  createGenerator: generatorCallbacks.createGenerator,
  stepGenerator: generatorCallbacks.stepGenerator,
  afterStop,
  runActivity,
  runMainCommonJs,
  readExitCode,
  setMainNamespace,
  workflowExports,
  serveWorkflows,
};
delete globalThis.Deno;
