// duroxide/testing: a workflow module's orchestrations and activities on an in-memory store, with
// activities that can be replaced by mocks, handles to drive and inspect instances from a test, and a
// virtual clock. Time skipping: while a test awaits `result()`, whenever nothing can run (no message
// ready, no activity queued or running) the next durable timer fires at once and the clock jumps to it;
// `sleep(ms)` moves the clock by hand. Orchestrations read that clock through `ctx.utcNow()`, which
// here is an activity of the environment's (recorded in history like the real one, so replays agree).
import { Client, Runtime, SqliteProvider } from "ext:duroxide/sdk.js";
import { skipTime } from "ext:duroxide/providers.js";
import { replayHistory } from "ext:duroxide/runtime.js";
import process from "ext:duroxide/node/process.js";

const UTC_NOW = "__duroxideTesting.utcNow";
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The orchestration, seeing a ctx whose utcNow() reads the environment's clock.
function onVirtualClock(orchestration) {
  return function* (ctx, input) {
    const virtual = new Proxy(ctx, {
      get(target, property) {
        if (property === "utcNow") return () => target.scheduleActivity(UTC_NOW, null);
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return yield* orchestration.call(this, virtual, input);
  };
}

const isGenerator = (fn) => Object.prototype.toString.call(fn) === "[object GeneratorFunction]";

// Registers a module's orchestrations (a generator function, or `{ version: generator }` as in a
// workflow module), on the environment's clock when `virtualClock`. Anything but a generator function
// is left for the runtime to refuse with its own message.
function registerOrchestrations(runtime, orchestrations, virtualClock) {
  const seen = (fn) => (virtualClock && isGenerator(fn) ? onVirtualClock(fn) : fn);
  for (const [name, definition] of Object.entries(orchestrations)) {
    if (definition !== null && typeof definition === "object") {
      for (const [version, fn] of Object.entries(definition)) runtime.registerOrchestrationVersioned(name, version, seen(fn));
    } else {
      runtime.registerOrchestration(name, seen(definition));
    }
  }
}

const RESULT_WAIT_MS = 30000;

// The store of the runtimes replays register on (see TestEnvironment.replay).
let scratchStore = null;

// A workflow module given as its namespace object, or a path to import (relative to the current folder).
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

  // The output once the instance completes; its error, thrown, when it fails.
  async result(timeoutMs = RESULT_WAIT_MS) {
    const status = await this.#env.skippingWhile(this.#env.client.waitForOrchestration(this.id, timeoutMs));
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

  // The latest execution's history.
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
  #timeSkipping;
  #skipped = 0;

  constructor(provider, workflows, timeSkipping) {
    this.#provider = provider;
    this.#activities = workflows.activities;
    this.#orchestrations = workflows.orchestrations;
    this.#timeSkipping = timeSkipping;
    this.client = new Client(provider);
  }

  // `{ module, timeSkipping = true }`: the module's orchestrations and activities on a fresh in-memory store.
  static async create(options = {}) {
    const workflows = await loadModule(options.module);
    return new TestEnvironment(await SqliteProvider.inMemory(), workflows, options.timeSkipping !== false);
  }

  // Replays a recorded history (`duroxide history ID --json [--all-executions]`, parsed, or a handle's
  // `history()`) through `module`'s current orchestrations; throws when the code no longer does what
  // the history recorded, naming the difference and the line. A bare event array is execution
  // `executionId` (default 1) of instance `instanceId` (default "replay").
  static async replay(module, history, options = {}) {
    const workflows = await loadModule(module);
    if (typeof history === "string") history = JSON.parse(history);
    // Histories recorded in an environment read its clock through its own activity.
    const onEnvironmentClock = JSON.stringify(history).includes(UTC_NOW);
    // Never started: it only holds the registrations, so every replay can share one scratch store.
    scratchStore ??= SqliteProvider.inMemory();
    const runtime = new Runtime(await scratchStore, {});
    registerOrchestrations(runtime, workflows.orchestrations, onEnvironmentClock);
    const results = await replayHistory(runtime, history, options.instanceId ?? "replay", options.executionId ?? 1);
    const diverged = results.filter((r) => !r.ok);
    if (diverged.length > 0) {
      const error = new Error(diverged.map((r) => r.line).join("\n"));
      error.results = results;
      throw error;
    }
    return results;
  }

  // Awaits `promise`, firing timers whenever nothing else can run (with time skipping on).
  async skippingWhile(promise) {
    if (!this.#timeSkipping) return promise;
    let done = false;
    const settled = Promise.resolve(promise).finally(() => {
      done = true;
    });
    const skip = async () => {
      while (!done) {
        const jumped = await skipTime(this.#provider, null);
        if (jumped !== null) this.#skipped += jumped;
        await pause(jumped !== null ? 0 : 2);
      }
    };
    skip();
    return settled;
  }

  // Moves the clock on by `ms`: timers due by then fire; returns once nothing more can run.
  async sleep(ms) {
    if (!this.#timeSkipping) return pause(ms);
    await skipTime(this.#provider, Math.max(0, Number(ms)));
    this.#skipped += Math.max(0, Number(ms));
    const deadline = Date.now() + RESULT_WAIT_MS;
    while ((await skipTime(this.#provider, 0)) !== null && Date.now() < deadline) await pause(2);
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

  // Replaces activity `name` for this environment (it need not exist in the module).
  mockActivity(name, fn) {
    this.#open("mock activities");
    if (typeof fn !== "function") throw new TypeError(`mockActivity('${name}', fn): fn must be a function`);
    this.#activities[name] = fn;
  }

  async #started() {
    if (!this.#runtime) {
      const runtime = new Runtime(this.#provider, { dispatcherPollIntervalMs: 10 });
      for (const [name, fn] of Object.entries(this.#activities)) runtime.registerActivity(name, fn);
      registerOrchestrations(runtime, this.#orchestrations, this.#timeSkipping);
      if (this.#timeSkipping) runtime.registerActivity(UTC_NOW, async () => this.now());
      await runtime.start();
      this.#runtime = runtime;
    }
    return this.#runtime;
  }

  // Starts `name` with `input`; `{ id }` names the instance (default: NAME-1, NAME-2...).
  async start(name, input, options = {}) {
    await this.#started();
    const id = options.id ?? `${name}-${++this.#count}`;
    await this.client.startOrchestration(id, name, input);
    return new InstanceHandle(this, id);
  }

  // The clock orchestrations read with ctx.utcNow(): real time plus what was skipped.
  now() {
    return Date.now() + this.#skipped;
  }

  async dispose() {
    if (this.#runtime) {
      await this.#runtime.shutdown(1000);
      this.#runtime = null;
    }
  }
}

export default { TestEnvironment };
