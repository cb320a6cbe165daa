// The generator driver: the functions the host calls to start and step
// orchestration generators. Each generator lives in a holder object that Rust
// owns (dropping the holder drops the generator); `holder.site` is the Error
// made with the task it last yielded, whose stack the host reads for
// nondeterminism reports. Every function returns plain data; nothing here
// throws back into Rust.
import { op_step_permissions, op_task_types } from "ext:core/ops";
import { OrchestrationContext, SITE } from "ext:duroxide/orchestration_context.js";
import { describe, fromJson, toJson } from "ext:duroxide/json.js";
import { guarded, resetGuard } from "ext:duroxide/guard.js";
import { userStack } from "ext:duroxide/stacks.js";

/** Runs `fn` as a generator step: the guard on, and no I/O permitted to ops. */
function step(fn) {
  op_step_permissions(true);
  try {
    return guarded(fn);
  } finally {
    op_step_permissions(false);
  }
}

/** The `type` of every durable task, from the Rust descriptor enum. */
const TASK_TYPES = new Set(op_task_types());

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
function failureText(e) {
  if (!(e instanceof Error)) return `Uncaught ${describe(e)}`;
  return userStack(e);
}

// A step's result, as bridge/orchestration.rs reads it.
const yielded = (task) => JSON.stringify({ yielded: task });
const returned = (json) => JSON.stringify({ returned: json });
const threw = (message) => JSON.stringify({ threw: message });

function advance(holder, method, arg) {
  let r;
  for (;;) {
    try {
      r = step(() => holder.gen[method](arg));
    } catch (e) {
      holder.gen = null;
      return threw(failureText(e));
    }
    if (r.done) {
      holder.gen = null;
      try {
        return returned(toJson(r.value, `the return value of orchestration '${holder.name}'`));
      } catch (e) {
        return threw(e.message);
      }
    }
    const problem = invalidTask(r.value);
    if (!problem) break;
    // Thrown at the yield, so the failure points at the user's line.
    method = "throw";
    arg = new TypeError(
      `orchestration '${holder.name}' yielded ${problem}, which is not a durable task; ` +
        "yield what a ctx method returns, e.g. yield ctx.scheduleActivity('Name', input)",
    );
  }
  holder.typed = r.value._typed ? r.value.type : null;
  holder.awaitsActivity = r.value.type === "activity" || r.value.type === "activityWithRetry";
  holder.site = r.value[SITE] ?? holder.site;
  return yielded(r.value);
}

function createGenerator(holder, fn, infoJson, input) {
  const info = JSON.parse(infoJson);
  const name = info.orchestrationName;
  holder.name = name;
  holder.site = null;
  const ctx = new OrchestrationContext(info, info.token);
  let gen;
  try {
    gen = step(() => fn(ctx, fromJson(input)));
  } catch (e) {
    return threw(failureText(e));
  }
  if (!gen || typeof gen.next !== "function" || typeof gen.throw !== "function") {
    return threw(`orchestration '${name}' must be a generator function (function*), but it returned ${describe(gen)}`);
  }
  holder.gen = gen;
  return advance(holder, "next", undefined);
}

function stepGenerator(holder, isError, payload) {
  if (!holder.gen) return threw(`internal error: the generator of '${holder.name}' has already finished`);
  if (isError) return advance(holder, "throw", holder.awaitsActivity ? activityError(payload) : new Error(payload));
  let value = fromJson(payload);
  if (holder.typed) value = parseTyped(value, holder.typed);
  return advance(holder, "next", value);
}

/**
 * A failed activity as the code sees it: the message (as with duroxide-node),
 * and as its stack the activity's own frames, which the failure text shows when
 * the orchestration does not catch it. The text ends with those frames
 * (runtime_ext/activity.js; engine/tasks.rs splits it alike inside all/race).
 */
function activityError(text) {
  const lines = text.split("\n");
  let frames = 0;
  while (frames < lines.length - 1 && lines[lines.length - 1 - frames].startsWith("    at ")) frames++;
  const error = new Error(lines.slice(0, lines.length - frames).join("\n"));
  if (frames > 0) error.stack = [`Error: ${error.message}`, ...lines.slice(lines.length - frames)].join("\n");
  return error;
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

/** Leaves the step a stopped stretch was in (its `finally` blocks never ran). */
function leaveStep() {
  resetGuard();
  op_step_permissions(false);
}

export const generatorCallbacks = { createGenerator, stepGenerator, leaveStep };
