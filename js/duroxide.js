// The `duroxide` module: the duroxide-node SDK's public API (see API.md).
import {
  op_client,
  op_logging_configure,
  op_runtime_metrics,
  op_runtime_create,
  op_runtime_register,
  op_runtime_shutdown,
  op_runtime_start,
  op_store_in_memory,
  op_store_open_postgres,
  op_store_open_sqlite,
} from "ext:core/ops";
import { OrchestrationContext } from "ext:duroxide/orchestration_context.js";
import { ActivityContext } from "ext:duroxide/activity_context.js";
import { runtimes } from "ext:duroxide/driver.js";
import { fromJson, toJson } from "ext:duroxide/json.js";

const storeOf = (provider) => {
  if (!provider || typeof provider._store !== "number") {
    throw new TypeError("expected a provider from SqliteProvider.open/inMemory or PostgresProvider.connect");
  }
  return provider._store;
};

export class SqliteProvider {
  constructor(store) {
    this._store = store;
    this._type = "sqlite";
  }
  static async open(path) {
    return new SqliteProvider(await op_store_open_sqlite(String(path)));
  }
  static async inMemory() {
    return new SqliteProvider(await op_store_in_memory());
  }
}

export class PostgresProvider {
  constructor(store) {
    this._store = store;
    this._type = "postgres";
  }
  /** Schema `public`. */
  static async connect(databaseUrl) {
    return new PostgresProvider(await op_store_open_postgres(String(databaseUrl), null));
  }
  /** The schema is created if missing; two schemas on one database are isolated. */
  static async connectWithSchema(databaseUrl, schema) {
    return new PostgresProvider(await op_store_open_postgres(String(databaseUrl), String(schema)));
  }
  static async connectWithEntra() {
    throw new Error("PostgreSQL with Microsoft Entra ID authentication is not supported by this build; use connect(url) with a password");
  }
  static async connectWithSchemaAndEntra() {
    return PostgresProvider.connectWithEntra();
  }
}

function withParsedOutput(status) {
  if (status.output === null) delete status.output;
  else if (typeof status.output === "string") status.output = fromJson(status.output);
  return status;
}

export class Client {
  constructor(provider) {
    this._store = storeOf(provider);
  }
  _call(method, ...args) {
    return op_client(this._store, method, args);
  }
  async startOrchestration(instanceId, orchestrationName, input) {
    await this._call("startOrchestration", instanceId, orchestrationName, toJson(input, "orchestration input"));
  }
  async startOrchestrationVersioned(instanceId, orchestrationName, input, version) {
    await this._call(
      "startOrchestrationVersioned",
      instanceId,
      orchestrationName,
      toJson(input, "orchestration input"),
      version,
    );
  }
  async getStatus(instanceId) {
    return withParsedOutput(await this._call("getStatus", instanceId));
  }
  async waitForOrchestration(instanceId, timeoutMs = 30000) {
    return withParsedOutput(await this._call("waitForOrchestration", instanceId, timeoutMs));
  }
  async raiseEvent(instanceId, eventName, data) {
    await this._call("raiseEvent", instanceId, eventName, toJson(data, "event data"));
  }
  async enqueueEvent(instanceId, queueName, data) {
    await this._call("enqueueEvent", instanceId, queueName, toJson(data, "event data"));
  }
  async cancelInstance(instanceId, reason) {
    await this._call("cancelInstance", instanceId, reason == null ? undefined : String(reason));
  }
  async waitForStatusChange(instanceId, lastSeenVersion, pollIntervalMs = 500, timeoutMs = 30000) {
    return withParsedOutput(
      await this._call("waitForStatusChange", instanceId, lastSeenVersion, pollIntervalMs, timeoutMs),
    );
  }
  async getValue(instanceId, key) {
    return this._call("getValue", instanceId, String(key));
  }
  async waitForValue(instanceId, key, timeoutMs = 30000) {
    return this._call("waitForValue", instanceId, String(key), timeoutMs);
  }
  async getKvAllValues(instanceId) {
    return this._call("getKvAllValues", instanceId);
  }
  async getSystemMetrics() {
    return this._call("getSystemMetrics");
  }
  async getOrchestrationStats(instanceId) {
    return this._call("getOrchestrationStats", instanceId);
  }
  async getQueueDepths() {
    return this._call("getQueueDepths");
  }
  async listAllInstances() {
    return this._call("listAllInstances");
  }
  async listInstancesByStatus(status) {
    return this._call("listInstancesByStatus", String(status));
  }
  async getInstanceInfo(instanceId) {
    return withParsedOutput(await this._call("getInstanceInfo", instanceId));
  }
  async getExecutionInfo(instanceId, executionId) {
    return withParsedOutput(await this._call("getExecutionInfo", instanceId, executionId));
  }
  async listExecutions(instanceId) {
    return this._call("listExecutions", instanceId);
  }
  async readExecutionHistory(instanceId, executionId) {
    return this._call("readExecutionHistory", instanceId, executionId);
  }
  async getInstanceTree(instanceId) {
    return this._call("getInstanceTree", instanceId);
  }
  async deleteInstance(instanceId, force = false) {
    return this._call("deleteInstance", instanceId, Boolean(force));
  }
  async deleteInstanceBulk(filter = {}) {
    return this._call("deleteInstanceBulk", filter);
  }
  async pruneExecutions(instanceId, options = {}) {
    return this._call("pruneExecutions", instanceId, options);
  }
  async pruneExecutionsBulk(filter = {}, options = {}) {
    return this._call("pruneExecutionsBulk", filter, options);
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
    const store = storeOf(provider);
    this._id = op_runtime_create(store, options ?? {});
    if (options && (options.logFormat != null || options.logLevel != null)) {
      op_logging_configure({ logFormat: options.logFormat, logLevel: options.logLevel });
    }
    runtimes.set(this._id, {
      orchestrations: new Map(),
      activities: new Map(),
      makeClient: () => new Client({ _store: store }),
    });
  }
  get _js() {
    return runtimes.get(this._id);
  }
  registerActivity(name, fn) {
    checkName("registerActivity", name);
    if (typeof fn !== "function") throw new TypeError(`registerActivity('${name}'): expected a function`);
    op_runtime_register(this._id, "activity", name, null);
    this._js.activities.set(name, fn);
  }
  registerOrchestration(name, fn) {
    checkOrchestration("registerOrchestration", name, fn);
    op_runtime_register(this._id, "orchestration", name, "1.0.0");
    this._js.orchestrations.set(name, fn);
  }
  registerOrchestrationVersioned(name, version, fn) {
    checkOrchestration("registerOrchestrationVersioned", name, fn);
    op_runtime_register(this._id, "orchestration", name, String(version));
    this._js.orchestrations.set(`${name}@${version}`, fn);
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

/** Sends logs to `logFile` (appended) with `logLevel` and `logFormat`; RUST_LOG still wins. */
export function initTracing(options = {}) {
  op_logging_configure({ logFile: options.logFile, logLevel: options.logLevel, logFormat: options.logFormat });
}

export const MAX_WORKER_TAGS = 5;
export const MAX_TAG_NAME_BYTES = 256;
export const MAX_KV_KEYS = 150;
export const MAX_KV_VALUE_BYTES = 65536;

export const moduleObject = Object.freeze({
  SqliteProvider,
  PostgresProvider,
  Client,
  Runtime,
  OrchestrationContext,
  ActivityContext,
  initTracing,
  MAX_WORKER_TAGS,
  MAX_TAG_NAME_BYTES,
  MAX_KV_KEYS,
  MAX_KV_VALUE_BYTES,
});
