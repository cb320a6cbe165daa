// duroxide/test (and node:test): test, it, describe, hooks, skip and only, as Node's test runner names
// them. `duroxide test` runs each test file in a process of its own with DUROXIDE_TEST_RESULTS naming a
// file; every result is appended there as one JSON line, which the runner prints and counts. Tests run
// one after another, in the order they were declared, once the file's top level has finished.
import { appendFileSync } from "ext:duroxide/node/fs.js";
import process from "ext:duroxide/node/process.js";
import { inspect } from "ext:duroxide/node/util.js";

// Read when tests run, not when this module is (every process evaluates it at startup, for require()).
let settings;
function setting(name) {
  settings ??= { results: process.env.DUROXIDE_TEST_RESULTS, filter: process.env.DUROXIDE_TEST_FILTER || "", file: process.argv[1] || "" };
  return settings[name];
}

function makeSuite(name, parent, options = {}) {
  return { kind: "suite", name, parent, items: [], before: [], after: [], beforeEach: [], afterEach: [], skip: !!options.skip, only: !!options.only };
}

const root = makeSuite("", null);
let current = root;
let scheduled = false;

// Whether --filter lets the test of this full name run.
function selected(name) {
  const filter = setting("filter");
  return !filter || name.includes(filter);
}

function path(node) {
  const names = [];
  for (let n = node; n && n.parent; n = n.parent) names.unshift(n.name);
  return names.join(" > ");
}

// test(name, fn), test(name, options, fn), test(fn).
function parse(args) {
  let [name, options, fn] = args;
  if (typeof name === "function") [name, options, fn] = [name.name || "<anonymous>", {}, name];
  else if (typeof options === "function") [options, fn] = [{}, options];
  return { name: String(name ?? "<anonymous>"), options: options ?? {}, fn };
}

function schedule() {
  if (scheduled) return;
  scheduled = true;
  setTimeout(runAll, 0);
}

function declareTest(extra, args) {
  const { name, options, fn } = parse(args);
  current.items.push({ kind: "test", name, fn, parent: current, skip: !!(options.skip || extra.skip), only: !!(options.only || extra.only) });
  schedule();
}

function declareSuite(extra, args) {
  const { name, options, fn } = parse(args);
  const s = makeSuite(name, current, { skip: options.skip || extra.skip, only: options.only || extra.only });
  current.items.push(s);
  const outer = current;
  current = s;
  try {
    if (typeof fn === "function") fn(s);
  } finally {
    current = outer;
  }
  schedule();
}

function withModifiers(declare) {
  const f = (...args) => declare({}, args);
  f.skip = (...args) => declare({ skip: true }, args);
  f.only = (...args) => declare({ only: true }, args);
  f.todo = (...args) => declare({ skip: true }, args);
  return f;
}

export const test = withModifiers(declareTest);
export const it = test;
export const describe = withModifiers(declareSuite);
export const suite = describe;
export function before(fn) { current.before.push(fn); }
export function after(fn) { current.after.push(fn); }
export function beforeEach(fn) { current.beforeEach.push(fn); }
export function afterEach(fn) { current.afterEach.push(fn); }

function hasOnly(node) {
  return node.items.some((item) => item.only || (item.kind === "suite" && hasOnly(item)));
}

function report(result) {
  const line = JSON.stringify(result) + "\n";
  const results = setting("results");
  if (results) appendFileSync(results, line);
  else console.log(line.trim());
}

// Where in the test file an error was thrown: the first stack frame in it, as file:line.
function location(error) {
  const stack = typeof error?.stack === "string" ? error.stack : "";
  for (const frame of stack.split("\n").slice(1)) {
    const m = frame.match(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?\s*$/);
    if (!m) continue;
    const where = m[1].startsWith("file://") ? decodeURIComponent(m[1].slice(7)) : m[1];
    if (where === setting("file")) return `${where}:${m[2]}`;
  }
  return undefined;
}

function failure(error) {
  if (!(error instanceof Error)) return { message: `thrown: ${inspect(error)}` };
  const out = { message: String(error.message).split("\n").filter((l) => l.trim()).join(" ").trim() || error.name, location: location(error) };
  if (error.code === "ERR_ASSERTION" && error.operator !== undefined && !["fail", "==", "ok"].includes(error.operator)) {
    out.expected = inspect(error.expected);
    out.actual = inspect(error.actual);
  }
  return out;
}

async function call(fn, context) {
  if (typeof fn === "function") await fn(context);
}

function eachHooks(node, which) {
  const chain = [];
  for (let n = node; n; n = n.parent) chain.unshift(n);
  const hooks = chain.flatMap((n) => n[which]);
  return which === "afterEach" ? hooks.reverse() : hooks;
}

async function runTest(t, skipped) {
  const name = path(t);
  if (!selected(name)) return;
  if (skipped || t.skip) return report({ name, status: "skip", ms: 0 });
  const started = performance.now();
  const context = { name: t.name, fullName: name, diagnostic() {}, skip() { throw SKIP; } };
  let error;
  try {
    for (const hook of eachHooks(t.parent, "beforeEach")) await call(hook, context);
    await call(t.fn, context);
  } catch (e) {
    error = e;
  }
  try {
    for (const hook of eachHooks(t.parent, "afterEach")) await call(hook, context);
  } catch (e) {
    error = error ?? e;
  }
  const ms = performance.now() - started;
  if (error === SKIP) return report({ name, status: "skip", ms });
  report(error === undefined ? { name, status: "pass", ms } : { name, status: "fail", ms, error: failure(error) });
}

const SKIP = Symbol("skip");

function wanted(node, onlyMode) {
  if (!onlyMode) return true;
  return node.only || (node.kind === "suite" && hasOnly(node));
}

// Left out because others are marked only: reported as skipped, so the count says so.
function skipAllIn(item) {
  if (item.kind === "suite") return item.items.forEach(skipAllIn);
  const name = path(item);
  if (selected(name)) report({ name, status: "skip", ms: 0 });
}

async function runSuite(s, skipped, onlyMode) {
  const skipAll = skipped || s.skip;
  let setupError;
  if (!skipAll) {
    try {
      for (const hook of s.before) await call(hook, {});
    } catch (e) {
      setupError = e;
    }
  }
  // Inside a suite marked only, everything runs.
  const innerOnly = onlyMode && !s.only && hasOnly(s);
  while (s.items.length) {
    const item = s.items.shift();
    if (!wanted(item, innerOnly)) {
      skipAllIn(item);
      continue;
    }
    if (setupError !== undefined && item.kind === "test") {
      const name = path(item);
      if (selected(name)) report({ name, status: "fail", ms: 0, error: failure(setupError) });
      continue;
    }
    if (item.kind === "suite") await runSuite(item, skipAll, innerOnly);
    else await runTest(item, skipAll);
  }
  if (!skipAll) {
    try {
      for (const hook of s.after) await call(hook, {});
    } catch (e) {
      report({ name: `${path(s) || "after"} (after hook)`, status: "fail", ms: 0, error: failure(e) });
    }
  }
}

async function runAll() {
  scheduled = false;
  await runSuite(root, false, hasOnly(root));
  // Under `duroxide test`, the file is done once its tests are: a runtime a test left running (an
  // environment not disposed) must not keep the process, and so the whole run, waiting.
  if (setting("results")) setTimeout(() => scheduled || process.exit(), 0);
}

// As in Node, the default export (what `require('node:test')` returns) is `test`, carrying everything else.
Object.assign(test, { test, it, describe, suite, before, after, beforeEach, afterEach });

export default test;
