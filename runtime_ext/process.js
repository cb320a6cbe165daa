// `console` and a minimal `process`: what workflow scripts use from Node's.
import { core } from "ext:core/mod.js";
import { op_console_write, op_process_exit, op_process_info } from "ext:core/ops";
import { Console, setNoColorFns } from "ext:deno_console/01_console.js";
import { performance } from "ext:deno_web/15_performance.js";

const info = op_process_info();
// deno_fs reads the OS from the build info (unix-only stat fields).
core.setBuildInfo(info.target);
setNoColorFns(() => !info.stdoutIsTty, () => !info.stderrIsTty);

export const console = new Console((msg, level) => op_console_write(msg, level > 1));

export const processObject = {
  argv: info.argv,
  env: info.env,
  platform: info.platform,
  pid: info.pid,
  exitCode: undefined,
  exit(code) {
    const c = code === undefined ? processObject.exitCode : code;
    op_process_exit(Number(c ?? 0) | 0);
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

/** The exit code the script asked for (host callback). */
export function readExitCode() {
  const c = processObject.exitCode;
  return String(c === undefined || c === null ? 0 : Number(c) | 0);
}
