// The `ctx` of an orchestration generator. Scheduling methods return plain
// descriptors to yield; the Rust driver turns them into durable futures.
import { op_orch_call } from "ext:core/ops";
import { toJson } from "ext:duroxide/json.js";
import { captureSite } from "ext:duroxide/guard.js";

/** Where the task was made: reported when replay diverges at its yield. */
export const SITE = Symbol("site");

function task(descriptor) {
  Object.defineProperty(descriptor, SITE, { value: captureSite() });
  return descriptor;
}

const token = Symbol("token");

function input(value, what) {
  return toJson(value, what);
}

function tagged(descriptor) {
  task(descriptor);
  descriptor.withTag = (tag) => {
    descriptor.tag = String(tag);
    return descriptor;
  };
  return descriptor;
}

function retrySpec(retry, method) {
  if (!retry || typeof retry !== "object") {
    throw new TypeError(`${method}: the retry policy must be an object like { maxAttempts: 3 }`);
  }
  const n = retry.maxAttempts;
  if (!Number.isInteger(n) || n < 1) {
    throw new TypeError(`${method}: retry.maxAttempts must be an integer of at least 1, got ${n}`);
  }
  return {
    maxAttempts: n,
    timeoutMs: retry.timeoutMs,
    totalTimeoutMs: retry.totalTimeoutMs,
    backoff: retry.backoff,
  };
}

export class OrchestrationContext {
  constructor(info, ctxToken) {
    this.instanceId = info.instanceId;
    this.executionId = info.executionId;
    this.orchestrationName = info.orchestrationName;
    this.orchestrationVersion = info.orchestrationVersion;
    Object.defineProperty(this, token, { value: ctxToken });
  }

  // -- yielded --
  scheduleActivity(name, value, options) {
    const d = { type: "activity", name: String(name), input: input(value, `input of activity '${name}'`) };
    if (options && options.sessionId != null) d.sessionId = String(options.sessionId);
    return tagged(d);
  }
  scheduleActivityOnSession(name, value, sessionId) {
    return tagged({
      type: "activity",
      name: String(name),
      input: input(value, `input of activity '${name}'`),
      sessionId: String(sessionId),
    });
  }
  scheduleActivityWithRetry(name, value, retry) {
    return task({
      type: "activityWithRetry",
      name: String(name),
      input: input(value, `input of activity '${name}'`),
      retry: retrySpec(retry, "scheduleActivityWithRetry"),
    });
  }
  scheduleActivityWithRetryOnSession(name, value, retry, sessionId) {
    return task({
      type: "activityWithRetry",
      name: String(name),
      input: input(value, `input of activity '${name}'`),
      retry: retrySpec(retry, "scheduleActivityWithRetryOnSession"),
      sessionId: String(sessionId),
    });
  }
  scheduleTimer(delayMs) {
    const ms = Number(delayMs);
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`scheduleTimer: delay must be a non-negative number of milliseconds, got ${delayMs}`);
    }
    return task({ type: "timer", delayMs: ms });
  }
  waitForEvent(name) {
    return task({ type: "waitEvent", name: String(name) });
  }
  dequeueEvent(queueName) {
    return task({ type: "dequeueEvent", queueName: String(queueName) });
  }
  getValueFromInstance(instanceId, key) {
    return task({ type: "getValueFromInstance", instanceId: String(instanceId), key: String(key) });
  }
  scheduleSubOrchestration(name, value) {
    return task({ type: "subOrchestration", name: String(name), input: input(value, `input of '${name}'`) });
  }
  scheduleSubOrchestrationWithId(name, instanceId, value) {
    return task({
      type: "subOrchestrationWithId",
      name: String(name),
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    });
  }
  scheduleSubOrchestrationVersioned(name, version, value) {
    return task({
      type: "subOrchestrationVersioned",
      name: String(name),
      version: version || null,
      input: input(value, `input of '${name}'`),
    });
  }
  scheduleSubOrchestrationVersionedWithId(name, version, instanceId, value) {
    return task({
      type: "subOrchestrationVersionedWithId",
      name: String(name),
      version: version || null,
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    });
  }
  startOrchestration(name, instanceId, value) {
    return task({
      type: "orchestration",
      name: String(name),
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    });
  }
  startOrchestrationVersioned(name, version, instanceId, value) {
    return task({
      type: "orchestrationVersioned",
      name: String(name),
      version: version || null,
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    });
  }
  newGuid() {
    return task({ type: "newGuid" });
  }
  utcNow() {
    return task({ type: "utcNow" });
  }
  continueAsNew(value) {
    return task({ type: "continueAsNew", input: input(value, "continueAsNew input") });
  }
  continueAsNewVersioned(value, version) {
    return task({ type: "continueAsNewVersioned", input: input(value, "continueAsNew input"), version: version || null });
  }
  all(tasks) {
    if (!Array.isArray(tasks)) throw new TypeError("ctx.all expects an array of tasks");
    return task({ type: "join", tasks });
  }
  race(...tasks) {
    if (tasks.length === 1 && Array.isArray(tasks[0])) tasks = tasks[0];
    if (tasks.length === 0) throw new TypeError("ctx.race needs at least one task");
    return task({ type: "select", tasks });
  }

  // -- synchronous --
  setCustomStatus(status) {
    op_orch_call(this[token], "setCustomStatus", [String(status)]);
  }
  resetCustomStatus() {
    op_orch_call(this[token], "resetCustomStatus", []);
  }
  getCustomStatus() {
    return op_orch_call(this[token], "getCustomStatus", []);
  }
  setValue(key, value) {
    op_orch_call(this[token], "setValue", [String(key), String(value)]);
  }
  getValue(key) {
    return op_orch_call(this[token], "getValue", [String(key)]);
  }
  clearValue(key) {
    op_orch_call(this[token], "clearValue", [String(key)]);
  }
  clearAllValues() {
    op_orch_call(this[token], "clearAllValues", []);
  }
  getKvAllValues() {
    return op_orch_call(this[token], "getKvAllValues", []);
  }
  getKvAllKeys() {
    return op_orch_call(this[token], "getKvAllKeys", []);
  }
  getKvLength() {
    return op_orch_call(this[token], "getKvLength", []);
  }
  pruneKvValuesUpdatedBefore(cutoffMs) {
    return op_orch_call(this[token], "pruneKvValuesUpdatedBefore", [Math.max(0, Math.trunc(Number(cutoffMs) || 0))]);
  }
  traceInfo(message) {
    op_orch_call(this[token], "trace", ["INFO", String(message)]);
  }
  traceWarn(message) {
    op_orch_call(this[token], "trace", ["WARN", String(message)]);
  }
  traceError(message) {
    op_orch_call(this[token], "trace", ["ERROR", String(message)]);
  }
  traceDebug(message) {
    op_orch_call(this[token], "trace", ["DEBUG", String(message)]);
  }
}

// `...Typed` variants: same descriptor, result parsed once more as JSON.
for (const name of [
  "scheduleActivity", "scheduleActivityOnSession", "scheduleActivityWithRetry", "scheduleActivityWithRetryOnSession",
  "scheduleSubOrchestration", "scheduleSubOrchestrationWithId", "scheduleSubOrchestrationVersioned",
  "scheduleSubOrchestrationVersionedWithId", "waitForEvent", "dequeueEvent", "all", "race",
]) {
  OrchestrationContext.prototype[`${name}Typed`] = function (...args) {
    const descriptor = this[name](...args);
    descriptor._typed = true;
    return descriptor;
  };
}
// Input-only `...Typed` aliases: inputs are always JSON already.
for (const name of ["startOrchestration", "startOrchestrationVersioned", "continueAsNew", "continueAsNewVersioned"]) {
  OrchestrationContext.prototype[`${name}Typed`] = function (...args) {
    return this[name](...args);
  };
}
