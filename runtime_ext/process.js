// `console` and a minimal `process`: what workflow scripts use from Node's.
import { core } from "ext:core/mod.js";
import { op_console_write, op_memory_usage, op_process_exit, op_process_info, op_process_rss } from "ext:core/ops";
import { Console, setNoColorFns } from "ext:deno_console/01_console.js";
import { performance } from "ext:deno_web/15_performance.js";
import { TextDecoder } from "ext:deno_web/08_text_encoding.js";
import { refuseInStep } from "ext:duroxide/guard.js";

const info = op_process_info();
// deno_fs reads the OS from the build info (unix-only stat fields).
core.setBuildInfo(info.target);
setNoColorFns(() => !info.stdoutIsTty, () => !info.stderrIsTty);

export const console = new Console((msg, level) => op_console_write(msg, level > 1));

/** `process.stdout`/`stderr`: enough of a Writable for `write(chunk[, encoding][, callback])`. */
function outputStream(fd, toStderr, isTTY) {
  const decoder = new TextDecoder();
  return {
    fd,
    isTTY,
    writable: true,
    columns: isTTY ? 80 : undefined,
    write(chunk, encoding, callback) {
      if (typeof encoding === "function") callback = encoding;
      op_console_write(typeof chunk === "string" ? chunk : decoder.decode(chunk), toStderr);
      if (typeof callback === "function") globalThis.queueMicrotask(callback);
      return true;
    },
    end(chunk, encoding, callback) {
      if (chunk !== undefined && chunk !== null && typeof chunk !== "function") this.write(chunk, encoding);
      const done = [chunk, encoding, callback].find((f) => typeof f === "function");
      if (done) globalThis.queueMicrotask(done);
    },
    on() {
      return this;
    },
    once() {
      return this;
    },
    emit() {
      return false;
    },
  };
}

const started = performance.now();

/**
 * `process.env`: values are strings, as in Node; changing it from an
 * orchestration is refused (state outside the generator that could steer a replay).
 */
const env = new Proxy(info.env, {
  set(target, name, value) {
    refuseInStep(`process.env.${String(name)} = ...`, "an activity, or pass the value in the orchestration's input");
    target[name] = String(value);
    return true;
  },
  deleteProperty(target, name) {
    refuseInStep(`delete process.env.${String(name)}`, "an activity");
    delete target[name];
    return true;
  },
});

export const processObject = {
  argv: info.argv,
  argv0: "duroxide",
  execPath: info.argv[0],
  execArgv: [],
  title: "duroxide",
  version: "v20.0.0",
  versions: { node: "20.0.0", duroxide: info.version, v8: info.v8 },
  release: { name: "duroxide" },
  arch: info.arch,
  stdout: outputStream(1, false, info.stdoutIsTty),
  stderr: outputStream(2, true, info.stderrIsTty),
  uptime: () => (performance.now() - started) / 1000,
  memoryUsage: Object.assign(memoryUsage, { rss: () => op_process_rss() }),
  getuid: () => info.uid,
  getgid: () => info.gid,
  emitWarning(warning) {
    op_console_write(`Warning: ${warning instanceof Error ? warning.message : warning}\n`, true);
  },
  env,
  platform: info.platform,
  pid: info.pid,
  exitCode: undefined,
  exit(code) {
    const c = code === undefined ? processObject.exitCode : code;
    op_process_exit(exitCodeOf(c) ?? 0);
  },
  cwd: () => info.cwd,
  nextTick: (fn, ...args) => globalThis.queueMicrotask(() => fn(...args)),
  hrtime: Object.assign(
    () => {
      const ns = BigInt(Math.round(performance.now() * 1e6));
      return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
    },
    { bigint: () => BigInt(Math.round(performance.now() * 1e6)) },
  ),
  on() {
    return processObject;
  },
};

/** Node's shape; V8 counts array buffers within `external` and does not report them apart. */
function memoryUsage() {
  const heap = op_memory_usage();
  return { rss: op_process_rss(), heapTotal: heap.heapTotal, heapUsed: heap.heapUsed, external: heap.external, arrayBuffers: heap.external };
}

/**
 * An exit code as Node 20 accepts it: an integer, a string of one, null or
 * undefined (the default). Anything else throws, as it does in Node, rather
 * than exiting 0 while the script meant to fail.
 */
function exitCodeOf(code) {
  if (code === undefined || code === null) return undefined;
  if (typeof code === "string" && /^\s*[-+]?\d+\s*$/.test(code)) return Number(code) | 0;
  if (typeof code !== "number") {
    const shown = typeof code === "string" ? `type string ('${code}')` : `type ${typeof code}`;
    const error = new TypeError(`The "code" argument must be of type number. Received ${shown}`);
    error.code = "ERR_INVALID_ARG_TYPE";
    throw error;
  }
  if (!Number.isInteger(code)) {
    const error = new RangeError(`The value of "code" is out of range. It must be an integer. Received ${code}`);
    error.code = "ERR_OUT_OF_RANGE";
    throw error;
  }
  return code | 0;
}

/** Whether children may inherit LD_* and DYLD_* variables (only when every program may run). */
export const childrenInheritLinkerEnv = info.runAll;
/** The PATH children search, whatever the script may read of the environment. */
export const childPath = info.path;

/** The exit code the script asked for (host callback). */
export function readExitCode() {
  const c = processObject.exitCode;
  return String(c === undefined || c === null ? 0 : Number(c) | 0);
}
