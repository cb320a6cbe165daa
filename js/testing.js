// duroxide/testing: a workflow module's orchestrations and activities on an in-memory store, with
// activities that can be replaced by mocks, and handles to drive and inspect instances from a test.
// Time skipping (issue 16) is not built yet: timers run in real time; `timeSkipping: true` says so.
import { Client, Runtime, SqliteProvider } from "ext:duroxide/sdk.js";
import process from "ext:duroxide/node/process.js";

const RESULT_WAIT_MS = 30000;

/// A workflow module given as its namespace object, or a path to import (relative to the current folder).
async function loadModule(module) {
  if (module === undefined || module === null) return { activities: {}, orchestrations: {} };
  if (typeof module === "string") {
    const absolute = module.startsWith("/") ? module : `${process.cwd()}/${module.replace(/^\.\//, "")}`;
    module = await import(`file://${absolute}`);
  }
  const exports = module.default && !module.orchestrations && !module.activities ? module.default : module;
  return { activities: { ...(exports.activities ?? {}) }, orchestrations: { ...(exports.orchestrations ?? {}) } };
}

class InstanceHandle {
  #env;
  constructor(env, id) {
    this.#env = env;
    this.id = id;
  }

  /// The output once the instance completes; its error, thrown, when it fails.
  async result(timeoutMs = RESULT_WAIT_MS) {
    const status = await this.#env.client.waitForOrchestration(this.id, timeoutMs);
    if (status.status === "Failed") {
      const error = new Error(`instance '${this.id}' failed: ${status.error}`);
      error.status = status;
      throw error;
    }
    return status.output;
  }

  status() {
    return this.#env.client.getStatus(this.id);
  }

  raiseEvent(name, data) {
    return this.#env.client.raiseEvent(this.id, name, data);
  }

  enqueue(queue, message) {
    return this.#env.client.enqueueEvent(this.id, queue, message);
  }

  cancel(reason) {
    return this.#env.client.cancelInstance(this.id, reason);
  }

  /// The latest execution's history.
  async history() {
    const executions = await this.#env.client.listExecutions(this.id);
    return this.#env.client.readExecutionHistory(this.id, Math.max(1, ...executions));
  }
}

export class TestEnvironment {
  #provider;
  #activities;
  #orchestrations;
  #runtime = null;
  #count = 0;

  constructor(provider, workflows) {
    this.#provider = provider;
    this.#activities = workflows.activities;
    this.#orchestrations = workflows.orchestrations;
    this.client = new Client(provider);
  }

  /// `{ module, timeSkipping }`: the module's orchestrations and activities on a fresh in-memory store.
  static async create(options = {}) {
    if (options.timeSkipping === true) {
      throw new Error("TestEnvironment: time skipping is not built yet; pass { timeSkipping: false } (timers then run in real time)");
    }
    const workflows = await loadModule(options.module);
    return new TestEnvironment(await SqliteProvider.inMemory(), workflows);
  }

  #open(what) {
    if (this.#runtime) throw new Error(`TestEnvironment: ${what} before the first start() (the runtime is running now)`);
  }

  registerActivity(name, fn) {
    this.#open("register activities");
    this.#activities[name] = fn;
  }

  registerOrchestration(name, fn) {
    this.#open("register orchestrations");
    this.#orchestrations[name] = fn;
  }

  /// Replaces activity `name` for this environment (it need not exist in the module).
  mockActivity(name, fn) {
    this.#open("mock activities");
    if (typeof fn !== "function") throw new TypeError(`mockActivity('${name}', fn): fn must be a function`);
    this.#activities[name] = fn;
  }

  async #started() {
    if (!this.#runtime) {
      const runtime = new Runtime(this.#provider, { dispatcherPollIntervalMs: 10 });
      for (const [name, fn] of Object.entries(this.#activities)) runtime.registerActivity(name, fn);
      for (const [name, fn] of Object.entries(this.#orchestrations)) runtime.registerOrchestration(name, fn);
      await runtime.start();
      this.#runtime = runtime;
    }
    return this.#runtime;
  }

  /// Starts `name` with `input`; `{ id }` names the instance (default: NAME-1, NAME-2...).
  async start(name, input, options = {}) {
    await this.#started();
    const id = options.id ?? `${name}-${++this.#count}`;
    await this.client.startOrchestration(id, name, input);
    return new InstanceHandle(this, id);
  }

  /// The clock orchestrations read with ctx.utcNow() (real time until time skipping is built).
  now() {
    return Date.now();
  }

  async dispose() {
    if (this.#runtime) {
      await this.#runtime.shutdown(1000);
      this.#runtime = null;
    }
  }
}

export default { TestEnvironment };
