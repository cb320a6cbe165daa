// node:child_process over deno_process's Command: spawn, exec, execFile and
// their sync forms, with Node's results and errors (exit code, signal,
// stdout/stderr on the error, ENOENT for a missing program).
import { Command } from "ext:deno_process/40_process.js";
import { EventEmitter } from "ext:duroxide/node/events.js";
import { Buffer } from "ext:duroxide/node/buffer.js";
import { Readable, Writable } from "ext:duroxide/node/stream.js";
import { promisify } from "ext:duroxide/node/util.js";
import { explainDenied } from "ext:duroxide/node/denied.js";
import * as denoFs from "ext:deno_fs/30_fs.js";
import { forbidAllInSteps } from "ext:duroxide/guard.js";
import { childPath, childrenInheritLinkerEnv, processObject } from "ext:duroxide/process.js";

const SHELL = "/bin/sh";

function argError(message) {
  const err = new TypeError(message);
  err.code = "ERR_INVALID_ARG_TYPE";
  return err;
}

/** `(file, args?, options?, callback?)` as Node accepts them. */
function normalize(file, args, options, callback) {
  if (typeof file !== "string" || file === "") throw argError(`The "file" argument must be a non-empty string. Received ${typeof file}`);
  if (typeof args === "function") [callback, args, options] = [args, [], {}];
  else if (!Array.isArray(args)) [callback, options, args] = [options, args, []];
  if (typeof options === "function") [callback, options] = [options, {}];
  return { file, args: args ?? [], options: options ?? {}, callback };
}

/** The program and arguments to run, through the shell when asked. */
function commandLine(file, args, shell) {
  if (!shell) return [file, args];
  const line = [file, ...args].join(" ");
  return [typeof shell === "string" ? shell : SHELL, ["-c", line]];
}

function stdioOf(stdio, index) {
  const value = Array.isArray(stdio) ? stdio[index] : stdio;
  if (value === undefined || value === null || value === "pipe" || value === "overlapped") return "piped";
  if (value === "inherit" || value === index) return "inherit";
  if (value === "ignore") return "null";
  throw new Error(`child_process: stdio '${String(value)}' is not available in duroxide (use 'pipe', 'inherit' or 'ignore')`);
}

function envOf(options) {
  if (!options.env) {
    if (childrenInheritLinkerEnv) return { clearEnv: false, env: undefined };
    // In a sandbox, children see what the script sees, without the linker variables deno refuses.
    const env = { PATH: childPath };
    for (const [k, v] of Object.entries(processObject.env)) if (!/^(LD|DYLD)_/i.test(k)) env[k] = v;
    return { clearEnv: true, env };
  }
  const env = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = String(v);
  return { clearEnv: true, env };
}

function spawnError(e, file, args) {
  if (e?.name === "NotCapable") return explainDenied(e);
  const code = e?.code ?? (e?.name === "NotFound" ? "ENOENT" : e?.name === "PermissionDenied" ? "EACCES" : undefined);
  const err = new Error(`spawn ${file} ${code ?? e?.message}`);
  Object.assign(err, { errno: code === "ENOENT" ? -2 : code === "EACCES" ? -13 : undefined, code, syscall: `spawn ${file}`, path: file, spawnargs: args });
  return err;
}

/** A Node ChildProcess: an EventEmitter with stdio streams, `exit` and `close` events. */
export class ChildProcess extends EventEmitter {
  constructor() {
    super();
    this.pid = undefined;
    this.stdin = null;
    this.stdout = null;
    this.stderr = null;
    this.stdio = [null, null, null];
    this.exitCode = null;
    this.signalCode = null;
    this.killed = false;
    this.spawnfile = undefined;
    this.spawnargs = [];
  }

  kill(signal = "SIGTERM") {
    if (!this._child || this.exitCode !== null || this.signalCode !== null) return false;
    try {
      this._child.kill(typeof signal === "number" ? signalName(signal) : signal);
      this.killed = true;
      return true;
    } catch {
      return false;
    }
  }

  ref() {
    this._child?.ref();
  }

  unref() {
    this._child?.unref();
  }
}

const SIGNALS = { 1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 10: "SIGUSR1", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM" };
function signalName(n) {
  return SIGNALS[n] ?? "SIGTERM";
}

function spawn(command, args, options) {
  const { file, args: argv, options: opts } = normalize(command, args, options);
  const child = new ChildProcess();
  child.spawnfile = file;
  child.spawnargs = [file, ...argv];
  const [program, programArgs] = commandLine(file, argv, opts.shell);
  const stdio = opts.stdio ?? "pipe";
  let denoChild;
  try {
    denoChild = new Command(program, {
      args: programArgs,
      cwd: opts.cwd instanceof URL ? opts.cwd.pathname : opts.cwd,
      ...envOf(opts),
      stdin: stdioOf(stdio, 0),
      stdout: stdioOf(stdio, 1),
      stderr: stdioOf(stdio, 2),
      signal: opts.signal,
    }).spawn();
  } catch (e) {
    const err = spawnError(e, file, child.spawnargs);
    globalThis.queueMicrotask(() => {
      child.emit("error", err);
      child.emit("close", -2, null);
    });
    return child;
  }
  child._child = denoChild;
  child.pid = denoChild.pid;
  if (stdioOf(stdio, 0) === "piped") {
    const writer = denoChild.stdin.getWriter();
    child.stdin = new Writable({
      async write(chunk, encoding, callback) {
        try {
          await writer.write(chunk);
          callback();
        } catch (e) {
          callback(e);
        }
      },
      async final(callback) {
        try {
          await writer.close();
        } catch {
          // the process may have exited already
        }
        callback();
      },
    });
  }
  const streams = [];
  if (stdioOf(stdio, 1) === "piped") streams.push((child.stdout = Readable.fromWeb(denoChild.stdout)));
  if (stdioOf(stdio, 2) === "piped") streams.push((child.stderr = Readable.fromWeb(denoChild.stderr)));
  child.stdio = [child.stdin, child.stdout, child.stderr];
  const ended = Promise.all(streams.map((s) => new Promise((resolve) => {
    s.once("end", resolve);
    s.once("close", resolve);
    s.once("error", resolve);
  })));
  let timer;
  if (opts.timeout > 0) timer = setTimeout(() => child.kill(opts.killSignal ?? "SIGTERM"), opts.timeout);
  globalThis.queueMicrotask(() => child.emit("spawn"));
  denoChild.status.then(
    async (status) => {
      clearTimeout(timer);
      child.exitCode = status.signal ? null : status.code;
      child.signalCode = status.signal ?? null;
      child.emit("exit", child.exitCode, child.signalCode);
      await ended;
      child.emit("close", child.exitCode, child.signalCode);
    },
    (e) => {
      clearTimeout(timer);
      child.emit("error", e);
    },
  );
  return child;
}

/** Runs to completion, collecting output; `callback(err, stdout, stderr)` as exec/execFile give it. */
function run(file, args, options, callback, shown) {
  const encoding = options.encoding ?? "utf8";
  const maxBuffer = options.maxBuffer ?? 1024 * 1024;
  const child = spawn(file, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
  const out = [];
  const err = [];
  let size = 0;
  let overflow = null;
  const collect = (list, name) => (chunk) => {
    size += chunk.length;
    if (size > maxBuffer && !overflow) {
      overflow = new RangeError(`${name} maxBuffer length exceeded`);
      overflow.code = "ERR_CHILD_PROCESS_STDIO_MAXBUFFER";
      child.kill(options.killSignal ?? "SIGTERM");
      return;
    }
    list.push(chunk);
  };
  child.stdout?.on("data", collect(out, "stdout"));
  child.stderr?.on("data", collect(err, "stderr"));
  child.stdin?.end();
  const text = (list) => {
    const buffer = Buffer.concat(list);
    return encoding === "buffer" || encoding === null ? buffer : buffer.toString(encoding);
  };
  let failedToSpawn = null;
  child.on("error", (e) => {
    failedToSpawn = e;
  });
  child.on("close", (code, signal) => {
    const stdout = text(out);
    const stderr = text(err);
    let error = overflow ?? failedToSpawn;
    if (!error && (code !== 0 || signal)) {
      error = new Error(`Command failed: ${shown}\n${String(stderr)}`);
      Object.assign(error, { code, killed: child.killed, signal, cmd: shown });
    }
    if (error) Object.assign(error, { stdout, stderr });
    callback?.(error, stdout, stderr);
  });
  return child;
}

function execFile(file, args, options, callback) {
  const n = normalize(file, args, options, callback);
  return run(n.file, n.args, n.options, n.callback, [n.file, ...n.args].join(" "));
}

function exec(command, options, callback) {
  if (typeof options === "function") [callback, options] = [options, {}];
  if (typeof command !== "string") throw argError(`The "command" argument must be of type string. Received ${typeof command}`);
  return run(command, [], { ...options, shell: options?.shell ?? true }, callback, command);
}

function promisified(start) {
  return (...args) => {
    let child;
    const promise = new Promise((resolve, reject) => {
      child = start(...args, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
    });
    promise.child = child;
    return promise;
  };
}
Object.defineProperty(exec, promisify.custom, { value: promisified(exec) });
Object.defineProperty(execFile, promisify.custom, { value: promisified(execFile) });

/** Runs synchronously; `input` is fed on stdin through a temporary file (deno's sync runs take no pipe). */
function runSync(file, args, options) {
  let [program, programArgs] = commandLine(file, args, options.shell);
  let inputFile = null;
  if (options.input !== undefined && options.input !== null) {
    inputFile = denoFs.makeTempFileSync({ prefix: "duroxide-stdin-" });
    denoFs.writeFileSync(inputFile, typeof options.input === "string" ? new TextEncoder().encode(options.input) : options.input);
    programArgs = ["-c", 'exec "$0" "$@" < "$DUROXIDE_STDIN_FILE"', program, ...programArgs];
    program = SHELL;
  }
  const stdio = options.stdio ?? "pipe";
  const { clearEnv, env } = envOf(options);
  const envWithInput = inputFile ? { ...(env ?? {}), DUROXIDE_STDIN_FILE: inputFile } : env;
  try {
    return new Command(program, {
      args: programArgs,
      cwd: options.cwd,
      clearEnv,
      env: envWithInput,
      stdin: inputFile ? "inherit" : stdioOf(stdio, 0) === "piped" ? "null" : stdioOf(stdio, 0),
      stdout: stdioOf(stdio, 1),
      stderr: stdioOf(stdio, 2),
    }).outputSync();
  } finally {
    if (inputFile) denoFs.removeSync(inputFile);
  }
}

function outputOf(bytes, encoding) {
  if (!bytes) return null;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return encoding && encoding !== "buffer" ? buffer.toString(encoding) : buffer;
}

function spawnSync(command, args, options) {
  const n = normalize(command, args, options);
  let result;
  try {
    result = runSync(n.file, n.args, n.options);
  } catch (e) {
    return { pid: 0, output: [null, null, null], stdout: null, stderr: null, status: null, signal: null, error: spawnError(e, n.file, [n.file, ...n.args]) };
  }
  const stdout = outputOf(tryOutput(result, "stdout"), n.options.encoding);
  const stderr = outputOf(tryOutput(result, "stderr"), n.options.encoding);
  return { pid: 0, output: [null, stdout, stderr], stdout, stderr, status: result.signal ? null : result.code, signal: result.signal ?? null };
}

function tryOutput(result, name) {
  try {
    return result[name];
  } catch {
    return null; // not piped
  }
}

function checked(file, args, options, shown) {
  const r = spawnSync(file, args, options);
  if (r.error) throw r.error;
  if (r.status !== 0 || r.signal) {
    const err = new Error(`Command failed: ${shown}${r.stderr?.length ? `\n${String(r.stderr)}` : ""}`);
    Object.assign(err, { status: r.status, signal: r.signal, output: r.output, stdout: r.stdout, stderr: r.stderr, pid: r.pid });
    throw err;
  }
  return r.stdout;
}

function execFileSync(file, args, options) {
  const n = normalize(file, args, options);
  return checked(n.file, n.args, { stdio: ["pipe", "pipe", "inherit"], ...n.options }, [n.file, ...n.args].join(" "));
}

function execSync(command, options = {}) {
  return checked(command, [], { stdio: ["pipe", "pipe", "inherit"], ...options, shell: options.shell ?? true }, command);
}

function unavailable(name) {
  return function () {
    throw new Error(`child_process.${name} is not available in duroxide`);
  };
}

const childProcess = {
  ...forbidAllInSteps("child_process", { spawn, exec, execFile, spawnSync, execSync, execFileSync }),
  fork: unavailable("fork"),
  ChildProcess,
};

export default childProcess;
export const {
  spawn: spawnGuarded, exec: execGuarded, execFile: execFileGuarded, spawnSync: spawnSyncGuarded,
  execSync: execSyncGuarded, execFileSync: execFileSyncGuarded, fork,
} = childProcess;
export {
  execFileGuarded as execFile,
  execFileSyncGuarded as execFileSync,
  execGuarded as exec,
  execSyncGuarded as execSync,
  spawnGuarded as spawn,
  spawnSyncGuarded as spawnSync,
};
