// The SDK's `Client` (API.md): argument checks and payload JSON here, one op
// per method; the answers' shapes are defined once, in Rust (engine/shapes.rs).
import {
  op_client_cancel,
  op_client_delete,
  op_client_delete_bulk,
  op_client_enqueue_event,
  op_client_execution,
  op_client_executions,
  op_client_history,
  op_client_instance,
  op_client_instances,
  op_client_prune,
  op_client_prune_bulk,
  op_client_queue_depths,
  op_client_raise_event,
  op_client_start,
  op_client_stats,
  op_client_status,
  op_client_system_metrics,
  op_client_tree,
  op_client_value,
  op_client_values,
  op_client_wait,
  op_client_wait_for_status_change,
  op_client_wait_for_value,
} from "ext:core/ops";
import { fromJson, toJson } from "ext:duroxide/json.js";
import { storeOf } from "ext:duroxide/providers.js";

function text(value, what) {
  if (typeof value !== "string") throw new TypeError(`${what} must be a string`);
  return value;
}

const id = (value) => text(value, "instance id");

function millis(value, fallback) {
  if (value === undefined || value === null) return fallback;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new TypeError(`timeout must be a non-negative number of milliseconds, got ${value}`);
  }
  return ms;
}

function count(value, what) {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${what} must be a non-negative integer, got ${value}`);
  return value;
}

function options(value) {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object") throw new TypeError(`expected an options object, got ${value}`);
  return value;
}

/** Output JSON text parsed, as the SDK returns it; an absent output is left out. */
function withParsedOutput(answer) {
  if (answer.output === null || answer.output === undefined) delete answer.output;
  else answer.output = fromJson(answer.output);
  return answer;
}

export class Client {
  constructor(provider) {
    this._store = storeOf(provider);
  }
  async startOrchestration(instanceId, orchestrationName, input) {
    const input_ = toJson(input, "orchestration input");
    await op_client_start(this._store, id(instanceId), text(orchestrationName, "orchestration name"), input_, null);
  }
  async startOrchestrationVersioned(instanceId, orchestrationName, input, version) {
    const input_ = toJson(input, "orchestration input");
    const name = text(orchestrationName, "orchestration name");
    await op_client_start(this._store, id(instanceId), name, input_, text(version, "version"));
  }
  async getStatus(instanceId) {
    return withParsedOutput(await op_client_status(this._store, id(instanceId)));
  }
  async waitForOrchestration(instanceId, timeoutMs = 30000) {
    return withParsedOutput(await op_client_wait(this._store, id(instanceId), millis(timeoutMs, 30000)));
  }
  async raiseEvent(instanceId, eventName, data) {
    const data_ = toJson(data, "event data");
    await op_client_raise_event(this._store, id(instanceId), text(eventName, "event name"), data_);
  }
  async enqueueEvent(instanceId, queueName, data) {
    const data_ = toJson(data, "event data");
    await op_client_enqueue_event(this._store, id(instanceId), text(queueName, "queue name"), data_);
  }
  async cancelInstance(instanceId, reason) {
    await op_client_cancel(this._store, id(instanceId), reason == null ? "cancelled" : String(reason));
  }
  async waitForStatusChange(instanceId, lastSeenVersion, pollIntervalMs = 500, timeoutMs = 30000) {
    const lastSeen = lastSeenVersion == null ? 0 : count(lastSeenVersion, "lastSeenVersion");
    return withParsedOutput(
      await op_client_wait_for_status_change(
        this._store,
        id(instanceId),
        lastSeen,
        millis(pollIntervalMs, 500),
        millis(timeoutMs, 30000),
      ),
    );
  }
  async getValue(instanceId, key) {
    return op_client_value(this._store, id(instanceId), String(key));
  }
  async waitForValue(instanceId, key, timeoutMs = 30000) {
    return op_client_wait_for_value(this._store, id(instanceId), String(key), millis(timeoutMs, 30000));
  }
  async getKvAllValues(instanceId) {
    return op_client_values(this._store, id(instanceId));
  }
  async getSystemMetrics() {
    return op_client_system_metrics(this._store);
  }
  async getOrchestrationStats(instanceId) {
    return op_client_stats(this._store, id(instanceId));
  }
  async getQueueDepths() {
    return op_client_queue_depths(this._store);
  }
  async listAllInstances() {
    return op_client_instances(this._store, null);
  }
  async listInstancesByStatus(status) {
    return op_client_instances(this._store, String(status));
  }
  async getInstanceInfo(instanceId) {
    return withParsedOutput(await op_client_instance(this._store, id(instanceId)));
  }
  async getExecutionInfo(instanceId, executionId) {
    const execution = count(executionId, "executionId");
    return withParsedOutput(await op_client_execution(this._store, id(instanceId), execution));
  }
  async listExecutions(instanceId) {
    return op_client_executions(this._store, id(instanceId));
  }
  async readExecutionHistory(instanceId, executionId) {
    return op_client_history(this._store, id(instanceId), count(executionId, "executionId"));
  }
  async getInstanceTree(instanceId) {
    return op_client_tree(this._store, id(instanceId));
  }
  async deleteInstance(instanceId, force = false) {
    return op_client_delete(this._store, id(instanceId), Boolean(force));
  }
  async deleteInstanceBulk(filter = {}) {
    return op_client_delete_bulk(this._store, options(filter));
  }
  async pruneExecutions(instanceId, options_ = {}) {
    return op_client_prune(this._store, id(instanceId), options(options_));
  }
  async pruneExecutionsBulk(filter = {}, options_ = {}) {
    return op_client_prune_bulk(this._store, options(filter), options(options_));
  }
  async startOrchestrationTyped(instanceId, orchestrationName, input) {
    return this.startOrchestration(instanceId, orchestrationName, input);
  }
  async startOrchestrationVersionedTyped(instanceId, orchestrationName, input, version) {
    return this.startOrchestrationVersioned(instanceId, orchestrationName, input, version);
  }
  async raiseEventTyped(instanceId, eventName, data) {
    return this.raiseEvent(instanceId, eventName, data);
  }
  async enqueueEventTyped(instanceId, queueName, data) {
    return this.enqueueEvent(instanceId, queueName, data);
  }
  async waitForOrchestrationTyped(instanceId, timeoutMs = 30000) {
    const result = await this.waitForOrchestration(instanceId, timeoutMs);
    if (result.status === "Failed") throw new Error(result.error || "Orchestration failed");
    return result.output;
  }
}
