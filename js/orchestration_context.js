// The `ctx` of an orchestration generator. Scheduling methods return plain
// descriptors to yield; the Rust driver turns them into durable futures.
import { op_orch_call } from "ext:core/ops";
import { toJson } from "ext:duroxide/json.js";

const token = Symbol("token");

function input(value, what) {
  return toJson(value, what);
}

function tagged(descriptor) {
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

function typed(descriptor) {
  descriptor._typed = true;
  return descriptor;
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
    return {
      type: "activityWithRetry",
      name: String(name),
      input: input(value, `input of activity '${name}'`),
      retry: retrySpec(retry, "scheduleActivityWithRetry"),
    };
  }
  scheduleActivityWithRetryOnSession(name, value, retry, sessionId) {
    return {
      type: "activityWithRetry",
      name: String(name),
      input: input(value, `input of activity '${name}'`),
      retry: retrySpec(retry, "scheduleActivityWithRetryOnSession"),
      sessionId: String(sessionId),
    };
  }
  scheduleTimer(delayMs) {
    const ms = Number(delayMs);
    if (!Number.isFinite(ms) || ms < 0) {
      throw new TypeError(`scheduleTimer: delay must be a non-negative number of milliseconds, got ${delayMs}`);
    }
    return { type: "timer", delayMs: ms };
  }
  waitForEvent(name) {
    return { type: "waitEvent", name: String(name) };
  }
  dequeueEvent(queueName) {
    return { type: "dequeueEvent", queueName: String(queueName) };
  }
  getValueFromInstance(instanceId, key) {
    return { type: "getValueFromInstance", instanceId: String(instanceId), key: String(key) };
  }
  scheduleSubOrchestration(name, value) {
    return { type: "subOrchestration", name: String(name), input: input(value, `input of '${name}'`) };
  }
  scheduleSubOrchestrationWithId(name, instanceId, value) {
    return {
      type: "subOrchestrationWithId",
      name: String(name),
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    };
  }
  scheduleSubOrchestrationVersioned(name, version, value) {
    return {
      type: "subOrchestrationVersioned",
      name: String(name),
      version: version || null,
      input: input(value, `input of '${name}'`),
    };
  }
  scheduleSubOrchestrationVersionedWithId(name, version, instanceId, value) {
    return {
      type: "subOrchestrationVersionedWithId",
      name: String(name),
      version: version || null,
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    };
  }
  startOrchestration(name, instanceId, value) {
    return {
      type: "orchestration",
      name: String(name),
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    };
  }
  startOrchestrationVersioned(name, version, instanceId, value) {
    return {
      type: "orchestrationVersioned",
      name: String(name),
      version: version || null,
      instanceId: String(instanceId),
      input: input(value, `input of '${name}'`),
    };
  }
  newGuid() {
    return { type: "newGuid" };
  }
  utcNow() {
    return { type: "utcNow" };
  }
  continueAsNew(value) {
    return { type: "continueAsNew", input: input(value, "continueAsNew input") };
  }
  continueAsNewVersioned(value, version) {
    return { type: "continueAsNewVersioned", input: input(value, "continueAsNew input"), version: version || null };
  }
  all(tasks) {
    if (!Array.isArray(tasks)) throw new TypeError("ctx.all expects an array of tasks");
    return { type: "join", tasks };
  }
  race(...tasks) {
    if (tasks.length === 1 && Array.isArray(tasks[0])) tasks = tasks[0];
    if (tasks.length === 0) throw new TypeError("ctx.race needs at least one task");
    return { type: "select", tasks };
  }

  // -- typed variants: the result is parsed once more as JSON --
  scheduleActivityTyped(name, value) {
    return typed(this.scheduleActivity(name, value));
  }
  scheduleActivityOnSessionTyped(name, value, sessionId) {
    return typed(this.scheduleActivityOnSession(name, value, sessionId));
  }
  scheduleActivityWithRetryTyped(name, value, retry) {
    return typed(this.scheduleActivityWithRetry(name, value, retry));
  }
  scheduleActivityWithRetryOnSessionTyped(name, value, retry, sessionId) {
    return typed(this.scheduleActivityWithRetryOnSession(name, value, retry, sessionId));
  }
  scheduleSubOrchestrationTyped(name, value) {
    return typed(this.scheduleSubOrchestration(name, value));
  }
  scheduleSubOrchestrationWithIdTyped(name, instanceId, value) {
    return typed(this.scheduleSubOrchestrationWithId(name, instanceId, value));
  }
  scheduleSubOrchestrationVersionedTyped(name, version, value) {
    return typed(this.scheduleSubOrchestrationVersioned(name, version, value));
  }
  scheduleSubOrchestrationVersionedWithIdTyped(name, version, instanceId, value) {
    return typed(this.scheduleSubOrchestrationVersionedWithId(name, version, instanceId, value));
  }
  waitForEventTyped(name) {
    return typed(this.waitForEvent(name));
  }
  dequeueEventTyped(queueName) {
    return typed(this.dequeueEvent(queueName));
  }
  allTyped(tasks) {
    return typed(this.all(tasks));
  }
  raceTyped(...tasks) {
    return typed(this.race(...tasks));
  }
  startOrchestrationTyped(name, instanceId, value) {
    return this.startOrchestration(name, instanceId, value);
  }
  startOrchestrationVersionedTyped(name, version, instanceId, value) {
    return this.startOrchestrationVersioned(name, version, instanceId, value);
  }
  continueAsNewTyped(value) {
    return this.continueAsNew(value);
  }
  continueAsNewVersionedTyped(value, version) {
    return this.continueAsNewVersioned(value, version);
  }

  // -- synchronous --
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
