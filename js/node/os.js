// node:os: facts about the machine and the user.
import { osInfo } from "ext:duroxide/node_native.js";

export const EOL = "\n";
export const devNull = "/dev/null";
export const platform = () => globalThis.process.platform;
export const type = () => "Linux";
export const arch = () => ({ x86_64: "x64", aarch64: "arm64" })[osInfo().machine] ?? osInfo().machine;
export const machine = () => osInfo().machine;
export const release = () => osInfo().release;
export const version = () => osInfo().version;
export const hostname = () => osInfo().hostname;
export const homedir = () => osInfo().homedir;
export const tmpdir = () => (globalThis.process.env.TMPDIR || "/tmp").replace(/(.)\/$/, "$1");
export const endianness = () => "LE";
export const uptime = () => osInfo().uptime;
export const loadavg = () => osInfo().loadavg;
export const totalmem = () => osInfo().totalmem;
export const freemem = () => osInfo().freemem;
export const availableParallelism = () => osInfo().cpus;
export function cpus() {
  const model = "cpu";
  return Array.from({ length: osInfo().cpus }, () => ({ model, speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } }));
}
export function userInfo(options = {}) {
  const info = osInfo();
  const fields = { uid: info.uid, gid: info.gid, username: info.username, homedir: info.homedir, shell: info.shell };
  if (options.encoding === "buffer") {
    for (const key of ["username", "homedir", "shell"]) fields[key] = new TextEncoder().encode(fields[key]);
  }
  return fields;
}
export function networkInterfaces() {
  return {};
}
export const constants = {
  signals: { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 },
  errno: { ENOENT: 2, EACCES: 13, EEXIST: 17 },
};

export default {
  EOL, devNull, platform, type, arch, machine, release, version, hostname, homedir, tmpdir, endianness, uptime, loadavg,
  totalmem, freemem, availableParallelism, cpus, userInfo, networkInterfaces, constants,
};
