// node:timers and node:timers/promises over the global timers.
import { abortError } from "ext:duroxide/node/events.js";

export const setTimeout = (...args) => globalThis.setTimeout(...args);
export const clearTimeout = (id) => globalThis.clearTimeout(id);
export const setInterval = (...args) => globalThis.setInterval(...args);
export const clearInterval = (id) => globalThis.clearInterval(id);
export const setImmediate = (...args) => globalThis.setImmediate(...args);
export const clearImmediate = (id) => globalThis.clearTimeout(id);

function delayed(schedule, cancel, ms, value, options = {}) {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      cancel(id);
      reject(abortError(signal));
    };
    const id = schedule(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const promises = {
  setTimeout: (ms, value, options) => delayed(globalThis.setTimeout, globalThis.clearTimeout, ms, value, options),
  setImmediate: (value, options) => delayed((fn) => globalThis.setTimeout(fn, 0), globalThis.clearTimeout, 0, value, options),
  async *setInterval(ms, value, options = {}) {
    for (;;) yield await delayed(globalThis.setTimeout, globalThis.clearTimeout, ms, value, options);
  },
  scheduler: { wait: (ms, options) => delayed(globalThis.setTimeout, globalThis.clearTimeout, ms, undefined, options) },
};

export default { setTimeout, clearTimeout, setInterval, clearInterval, setImmediate, clearImmediate, promises };
