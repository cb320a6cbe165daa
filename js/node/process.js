// node:process: the global `process`.
import { processObject as process } from "ext:duroxide/process.js";

export default process;
export const { argv, env, platform, pid, exit, cwd, nextTick, hrtime } = process;
