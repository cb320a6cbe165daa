// The `duroxide` module: the duroxide-node SDK's public API (see API.md).
import {
  op_client,
  op_runtime_create,
  op_runtime_register,
  op_runtime_shutdown,
  op_runtime_start,
  op_store_in_memory,
  op_store_open_sqlite,
} from "ext:core/ops";
import { OrchestrationContext } from "ext:duroxide/orchestration_context.js";
import { ActivityContext } from "ext:duroxide/activity_context.js";
import { runtimes } from "ext:duroxide/driver.js";
import { fromJson, toJson } from "ext:duroxide/json.js";

const storeOf = (provider) => {
  if (!provider || typeof provider._store !== "number") {
    throw new TypeError("expected a provider from SqliteProvider.open() or SqliteProvider.inMemory()");
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
  static async connect(_url) {
    throw new Error("PostgreSQL is not supported by this build yet; use SqliteProvider");
  }
  static async connectWithSchema(_url, _schema) {
    return PostgresProvider.connect();
  }
  static async connectWithEntra() {
    throw new Error("PostgreSQL with Entra ID authentication is not supported by this build");
  }
  static async connectWithSchemaAndEntra() {
    return PostgresProvider.connectWithEntra();
  }
}

function withParsedOutput(status) {
  if (status.output !== undefined) status.output = fromJson(status.output);
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
}

export function initTracing(_options) {}

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
