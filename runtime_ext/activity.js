// Activities: the `ctx` an activity function gets, and the runner the host
// calls; the function's settlement goes back to Rust through an op.
import { core } from "ext:core/mod.js";
import { op_activity_is_cancelled, op_activity_settle, op_activity_trace } from "ext:core/ops";
import { errorMessage, fromJson, toJson } from "ext:duroxide/json.js";
import { userFrames } from "ext:duroxide/stacks.js";
import { Client } from "ext:duroxide/client.js";
import { DOMException } from "ext:deno_web/01_dom_exception.js";
import { AbortController } from "ext:deno_web/03_abort_signal.js";

const call = Symbol("call");

export class ActivityContext {
  constructor(info, callId, signal) {
    this.instanceId = info.instanceId;
    this.executionId = info.executionId;
    this.orchestrationName = info.orchestrationName;
    this.orchestrationVersion = info.orchestrationVersion;
    this.activityName = info.activityName;
    this.workerId = info.workerId;
    this.sessionId = info.sessionId ?? null;
    /** Aborted when the activity is no longer needed (cancelled, lost race, worker stopping). */
    this.signal = signal;
    Object.defineProperty(this, call, { value: { id: callId, tag: info.tag ?? null, store: info.store } });
  }
  tag() {
    return this[call].tag;
  }
  isCancelled() {
    return op_activity_is_cancelled(this[call].id);
  }
  /** A Client on the store this activity's runtime uses. */
  getClient() {
    return new Client({ _store: this[call].store });
  }
  traceInfo(message) {
    op_activity_trace(this[call].id, "INFO", String(message));
  }
  traceWarn(message) {
    op_activity_trace(this[call].id, "WARN", String(message));
  }
  traceError(message) {
    op_activity_trace(this[call].id, "ERROR", String(message));
  }
  traceDebug(message) {
    op_activity_trace(this[call].id, "DEBUG", String(message));
  }
}

/**
 * Host callback: starts `fn` for call `callId`; never throws back into Rust.
 * Returns the function that aborts the activity's `ctx.signal`.
 */
export function runActivity(fn, infoJson, input, callId) {
  const info = JSON.parse(infoJson);
  const name = info.activityName;
  const controller = new AbortController();
  const ctx = new ActivityContext(info, callId, controller.signal);
  // Every continuation of the activity carries its call id, so the
  // watchdog (src/host/watchdog.rs) knows whose JavaScript it stops.
  const outer = core.getAsyncContext();
  core.setAsyncContext({ __proto__: null, ...outer, duroxideActivity: callId });
  let running;
  try {
    running = (async () => fn(ctx, fromJson(input)))();
  } finally {
    core.setAsyncContext(outer);
  }
  running.then(
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
    // The stack goes into the history (ActivityFailed); the orchestration's code sees the message only.
    (e) => op_activity_settle(callId, false, [errorMessage(e), ...userFrames(e)].join("\n")),
  );
  return (reason) => controller.abort(new DOMException(reason, "AbortError"));
}
