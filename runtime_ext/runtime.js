// The SDK's `Runtime` and `initTracing`, and its limit constants (duroxide's own).
import {
  op_logging_configure,
  op_runtime_create,
  op_runtime_metrics,
  op_runtime_register_activity,
  op_runtime_register_orchestration,
  op_runtime_replay,
  op_runtime_shutdown,
  op_runtime_start,
  op_sdk_limits,
} from "ext:core/ops";
import { storeOf } from "ext:duroxide/providers.js";

const AsyncFunction = (async function () {}).constructor;
const AsyncGeneratorFunction = (async function* () {}).constructor;

function checkName(method, name) {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`${method}: the name must be a non-empty string`);
  }
}

function checkOrchestration(method, name, fn) {
  checkName(method, name);
  if (fn instanceof AsyncFunction || fn instanceof AsyncGeneratorFunction) {
    throw new TypeError(
      `${method}('${name}'): orchestrations must be generator functions (function*), not async functions; ` +
        "write function* (ctx, input) { ... } and yield ctx.scheduleActivity(...) instead of await",
    );
  }
  if (typeof fn !== "function") {
    throw new TypeError(`${method}('${name}'): expected a generator function (function*)`);
  }
}

export class Runtime {
  constructor(provider, options) {
    this._id = op_runtime_create(storeOf(provider), options ?? {});
    if (options && (options.logFormat != null || options.logLevel != null)) {
      op_logging_configure({ logFormat: options.logFormat, logLevel: options.logLevel });
    }
  }
  registerActivity(name, fn) {
    checkName("registerActivity", name);
    if (typeof fn !== "function") throw new TypeError(`registerActivity('${name}'): expected a function`);
    op_runtime_register_activity(this._id, name, fn);
  }
  registerOrchestration(name, fn) {
    checkOrchestration("registerOrchestration", name, fn);
    op_runtime_register_orchestration(this._id, name, "1.0.0", fn);
  }
  registerOrchestrationVersioned(name, version, fn) {
    checkOrchestration("registerOrchestrationVersioned", name, fn);
    op_runtime_register_orchestration(this._id, name, String(version), fn);
  }
  registerActivityTyped(name, fn) {
    this.registerActivity(name, fn);
  }
  registerOrchestrationTyped(name, fn) {
    this.registerOrchestration(name, fn);
  }
  registerOrchestrationVersionedTyped(name, version, fn) {
    this.registerOrchestrationVersioned(name, version, fn);
  }
  async start() {
    await op_runtime_start(this._id);
  }
  async shutdown(timeoutMs) {
    await op_runtime_shutdown(this._id, timeoutMs == null ? -1 : Number(timeoutMs));
  }
  metricsSnapshot() {
    return op_runtime_metrics(this._id);
  }
}

/**
 * Replays recorded histories through `runtime`'s orchestrations (nothing runs but their code):
 * `[{instanceId, ok, line}]`. A bare event array is execution `executionId` of `instanceId`.
 */
export async function replayHistory(runtime, history, instanceId, executionId) {
  const results = await op_runtime_replay(runtime._id, history, String(instanceId), Number(executionId));
  return results.map(({ instanceId, ok, line }) => ({ instanceId, ok, line }));
}

/** Sends logs to `logFile` (appended) with `logLevel` and `logFormat`; RUST_LOG still wins. */
export function initTracing(options = {}) {
  op_logging_configure({ logFile: options.logFile, logLevel: options.logLevel, logFormat: options.logFormat });
}

export const { MAX_WORKER_TAGS, MAX_TAG_NAME_BYTES, MAX_KV_KEYS, MAX_KV_VALUE_BYTES } = op_sdk_limits();
