// Workflow modules: a file that exports `activities` and `orchestrations`
// (or the same keys on `export default`) and is served by the binary itself.
import { Runtime } from "ext:duroxide/runtime.js";

let mainModule = null;

/** CommonJS main: its `module` (read late, since module.exports may be replaced). */
export function setMainModule(module) {
  mainModule = { get exports() { return module.exports; } };
}

/** ES module main: its namespace object. */
export function setMainNamespace(namespace) {
  mainModule = { exports: namespace };
}

function declarations() {
  const exports = mainModule?.exports;
  if (!exports || (typeof exports !== "object" && typeof exports !== "function")) return null;
  const has = (o) => o && typeof o === "object" && ("orchestrations" in o || "activities" in o);
  if (has(exports)) return exports;
  if (has(exports.default)) return exports.default;
  return null;
}

function checkTable(table, what) {
  if (table === undefined) return {};
  if (!table || typeof table !== "object") throw new TypeError(`the exported ${what} must be an object of name: function`);
  return table;
}

/**
 * JSON `{orchestrations: {name: [versions]}, activities: [names]}`, or "" when
 * the main file does not follow the convention. Throws on malformed exports.
 */
export function workflowExports() {
  const d = declarations();
  if (!d) return "";
  const activities = checkTable(d.activities, "activities");
  const orchestrations = checkTable(d.orchestrations, "orchestrations");
  for (const [name, fn] of Object.entries(activities)) {
    if (typeof fn !== "function") throw new TypeError(`activity '${name}' must be an async function`);
  }
  const summary = { orchestrations: {}, activities: Object.keys(activities) };
  for (const [name, def] of Object.entries(orchestrations)) {
    if (typeof def === "function") {
      summary.orchestrations[name] = ["1.0.0"];
      continue;
    }
    if (!def || typeof def !== "object") {
      throw new TypeError(`orchestration '${name}' must be a function* or an object of version: function*`);
    }
    summary.orchestrations[name] = Object.keys(def);
  }
  if (summary.activities.length === 0 && Object.keys(summary.orchestrations).length === 0) {
    throw new TypeError("the exported orchestrations and activities are empty: there is nothing to run");
  }
  return JSON.stringify(summary);
}

/** Registers every export on a new Runtime; returns its handle (not started yet). */
export function serveWorkflows(store, optionsJson) {
  const d = declarations();
  const runtime = new Runtime({ _store: store }, JSON.parse(optionsJson));
  for (const [name, fn] of Object.entries(d.activities ?? {})) runtime.registerActivity(name, fn);
  for (const [name, def] of Object.entries(d.orchestrations ?? {})) {
    if (typeof def === "function") {
      runtime.registerOrchestration(name, def);
    } else {
      for (const [version, fn] of Object.entries(def)) runtime.registerOrchestrationVersioned(name, version, fn);
    }
  }
  return String(runtime._id);
}
