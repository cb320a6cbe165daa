// The generator driver and activity runner: the functions the Rust host calls.
// Every function returns plain data; nothing here throws back into Rust.
import { op_activity_settle } from "ext:core/ops";
import { OrchestrationContext, SITE } from "ext:duroxide/orchestration_context.js";
import { ActivityContext } from "ext:duroxide/activity_context.js";
import { describe, errorMessage, fromJson, toJson } from "ext:duroxide/json.js";
import { guarded, userLocation } from "ext:duroxide/guard.js";

/** Runtime handle -> { orchestrations: Map<"name@version"|"name", fn>, activities: Map<name, fn>, makeClient } */
export const runtimes = new Map();

/** Generator token (one per handler invocation) -> { gen, name, instanceId, typed, site } */
const generators = new Map();

/** Instance id -> where its generator last yielded in its latest turn (bounded). */
const lastSites = new Map();

function rememberSite(entry) {
  if (!entry.site) return;
  lastSites.delete(entry.instanceId);
  lastSites.set(entry.instanceId, entry.site);
  if (lastSites.size > 1000) lastSites.delete(lastSites.keys().next().value);
}

function yieldSite(instanceId) {
  const site = lastSites.get(instanceId);
  return site ? userLocation(site) : "";
}

const TASK_TYPES = new Set([
  "activity", "activityWithRetry", "timer", "waitEvent", "dequeueEvent", "getValueFromInstance",
  "subOrchestration", "subOrchestrationWithId", "subOrchestrationVersioned", "subOrchestrationVersionedWithId",
  "orchestration", "orchestrationVersioned", "newGuid", "utcNow", "continueAsNew", "continueAsNewVersioned",
  "join", "select",
]);

/** Why `value` is not a durable task descriptor, or null when it is one. */
function invalidTask(value) {
  if (value === null || typeof value !== "object" || !TASK_TYPES.has(value.type)) return describe(value);
  if (value.type === "join" || value.type === "select") {
    if (!Array.isArray(value.tasks)) return describe(value);
    for (const t of value.tasks) {
      const inner = invalidTask(t);
      if (inner) return `${inner} inside ctx.${value.type === "join" ? "all" : "race"}`;
    }
  }
  return null;
}

/** User-facing text of an orchestration failure: message and user stack frames. */
export function failureText(e) {
  if (!(e instanceof Error)) return `Uncaught ${describe(e)}`;
  const stack = typeof e.stack === "string" ? e.stack : `${e.name}: ${e.message}`;
  return stack
    .split("\n")
    .filter((line) => !line.includes("ext:") && !line.includes("at Generator."))
    .join("\n")
    .replaceAll("file://", "");
}

const fail = (m) => JSON.stringify({ s: "e", m });

function advance(token, entry, method, arg) {
  let r;
  for (;;) {
    try {
      r = guarded(() => entry.gen[method](arg));
    } catch (e) {
      generators.delete(token);
      rememberSite(entry);
      return fail(failureText(e));
    }
    if (r.done) {
      generators.delete(token);
      rememberSite(entry);
      try {
        return JSON.stringify({ s: "c", o: toJson(r.value, `the return value of orchestration '${entry.name}'`) });
      } catch (e) {
        return fail(e.message);
      }
    }
    const problem = invalidTask(r.value);
    if (!problem) break;
    // Thrown at the yield, so the failure points at the user's line.
    method = "throw";
    arg = new TypeError(
      `orchestration '${entry.name}' yielded ${problem}, which is not a durable task; ` +
        "yield what a ctx method returns, e.g. yield ctx.scheduleActivity('Name', input)",
    );
  }
  entry.typed = r.value._typed ? r.value.type : null;
  entry.site = r.value[SITE] ?? entry.site;
  // Kept generators are not disposed between turns, so note the site now.
  rememberSite(entry);
  return JSON.stringify({ s: "y", t: r.value });
}

function createGenerator(runtimeId, infoJson, input, token) {
  const info = JSON.parse(infoJson);
  const name = info.orchestrationName;
  const rt = runtimes.get(runtimeId);
  const fn = rt && (rt.orchestrations.get(`${name}@${info.orchestrationVersion}`) ?? rt.orchestrations.get(name));
  if (!fn) return fail(`orchestration '${name}' (version ${info.orchestrationVersion}) is not registered`);
  const ctx = new OrchestrationContext(info, token);
  let gen;
  try {
    gen = guarded(() => fn(ctx, fromJson(input)));
  } catch (e) {
    return fail(failureText(e));
  }
  if (!gen || typeof gen.next !== "function" || typeof gen.throw !== "function") {
    return fail(`orchestration '${name}' must be a generator function (function*), but it returned ${describe(gen)}`);
  }
  const entry = { gen, name, instanceId: info.instanceId, typed: null, site: null };
  generators.set(token, entry);
  return advance(token, entry, "next", undefined);
}

function stepGenerator(token, isError, payload) {
  const entry = generators.get(token);
  if (!entry) return fail(`internal error: generator ${token} is gone`);
  if (isError) return advance(token, entry, "throw", new Error(payload));
  let value = fromJson(payload);
  if (entry.typed) value = parseTyped(value, entry.typed);
  return advance(token, entry, "next", value);
}

function disposeGenerator(token) {
  const entry = generators.get(token);
  if (entry) rememberSite(entry);
  generators.delete(token);
}

const parseAgain = (v) => (typeof v === "string" ? fromJson(v) : v);

/** `...Typed` tasks parse their result once more (as the SDK does). */
function parseTyped(value, type) {
  if (type === "join" && Array.isArray(value)) {
    return value.map((r) => ("ok" in r ? { ...r, ok: parseAgain(r.ok) } : { ...r, err: parseAgain(r.err) }));
  }
  if (type === "select" && value && typeof value === "object") return { ...value, value: parseAgain(value.value) };
  return parseAgain(value);
}

function runActivity(runtimeId, infoJson, input, callId) {
  const info = JSON.parse(infoJson);
  const name = info.activityName;
  const rt = runtimes.get(runtimeId);
  const fn = rt && rt.activities.get(name);
  if (!fn) {
    op_activity_settle(callId, false, `activity '${name}' is not registered`);
    return;
  }
  const ctx = new ActivityContext(info, callId, rt.makeClient);
  (async () => fn(ctx, fromJson(input)))().then(
    (value) => {
      let text;
      try {
        text = toJson(value, `the result of activity '${name}'`);
      } catch (e) {
        op_activity_settle(callId, false, e.message);
        return;
      }
      op_activity_settle(callId, true, text);
    },
    (e) => op_activity_settle(callId, false, errorMessage(e)),
  );
}

export const hostHooks = { createGenerator, stepGenerator, disposeGenerator, runActivity, yieldSite };
