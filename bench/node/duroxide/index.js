// Stand-in for the JavaScript layer of the duroxide-node SDK, just enough for
// bench/workloads.js, driving the SDK's native addon (npm package
// duroxide-linux-x64-gnu, which does all the durable work). The SDK's own JS
// package is not on the registry this project can reach; the addon is, and its
// interface is small: a generator driver (create / next / dispose, JSON in and
// out) and activities as async (payload) => JSON. Written for this benchmark.
'use strict';
const native = require('duroxide-linux-x64-gnu');

const json = (value) => JSON.stringify(value === undefined ? null : value);
const orchestrations = new Map();
const generators = new Map();
let nextId = 1;

function advance(id, gen, method, arg) {
  try {
    const r = gen[method](arg);
    if (r.done) {
      generators.delete(id);
      return JSON.stringify({ status: 'completed', output: json(r.value) });
    }
    return JSON.stringify({ status: 'yielded', generatorId: id, task: r.value });
  } catch (e) {
    generators.delete(id);
    return JSON.stringify({ status: 'error', message: String((e && e.stack) || e) });
  }
}

function create(payload) {
  const { ctxInfo, input } = JSON.parse(payload);
  const fn = orchestrations.get(ctxInfo.orchestrationName);
  if (!fn) return JSON.stringify({ status: 'error', message: `'${ctxInfo.orchestrationName}' is not registered` });
  const id = nextId++;
  const gen = fn(new OrchestrationContext(ctxInfo), input ? JSON.parse(input) : undefined);
  generators.set(id, gen);
  return advance(id, gen, 'next', undefined);
}

function next(payload) {
  const { generatorId, result, isError } = JSON.parse(payload);
  const gen = generators.get(generatorId);
  if (!gen) return JSON.stringify({ status: 'error', message: `generator ${generatorId} is gone` });
  let value;
  try { value = JSON.parse(result); } catch { value = result; }
  return isError ? advance(generatorId, gen, 'throw', new Error(String(value))) : advance(generatorId, gen, 'next', value);
}

function dispose(id) {
  generators.delete(Number(id));
  return 'ok';
}

class OrchestrationContext {
  constructor(info) { Object.assign(this, info); }
  scheduleActivity(name, input) { return { type: 'activity', name, input: json(input) }; }
  scheduleTimer(delayMs) { return { type: 'timer', delayMs }; }
  all(tasks) { return { type: 'join', tasks }; }
}

class SqliteProvider {
  static async open(path) {
    const provider = new SqliteProvider();
    provider.native = await native.JsSqliteProvider.open(path);
    return provider;
  }
}

class Client {
  constructor(provider) { this.native = new native.JsClient(provider.native); }
  startOrchestration(id, name, input) { return this.native.startOrchestration(id, name, json(input)); }
  async waitForOrchestration(id, timeoutMs) {
    const status = await this.native.waitForOrchestration(id, timeoutMs);
    if (status.output) status.output = JSON.parse(status.output);
    return status;
  }
}

class Runtime {
  constructor(provider, options) {
    this.native = new native.JsRuntime(provider.native, options);
    this.native.setGeneratorDriver(create, next, dispose);
  }
  registerActivity(name, fn) {
    this.native.registerActivity(name, async (payload) => {
      const split = payload.indexOf('\n');
      return json(await fn(JSON.parse(payload.slice(0, split)), JSON.parse(payload.slice(split + 1))));
    });
  }
  registerOrchestration(name, fn) {
    orchestrations.set(name, fn);
    this.native.registerOrchestration(name);
  }
  start() { return this.native.start(); }
  shutdown(timeoutMs) { return this.native.shutdown(timeoutMs); }
}

module.exports = { SqliteProvider, Client, Runtime };
