// node:timers/promises.
import { promises } from "ext:duroxide/node/timers.js";

export default promises;
export const { setTimeout, setImmediate, setInterval, scheduler } = promises;
