// node:util: format, inspect, promisify, types and the small helpers packages use.
import { inspect as denoInspect } from "ext:deno_console/01_console.js";
import { TextDecoder as WebTextDecoder, TextEncoder as WebTextEncoder } from "ext:deno_web/08_text_encoding.js";

export function inspect(value, options = {}) {
  const opts = typeof options === "object" && options !== null ? options : {};
  return denoInspect(value, {
    depth: opts.depth ?? 2,
    colors: Boolean(opts.colors),
    compact: opts.compact ?? 3,
    sorted: Boolean(opts.sorted),
    getters: Boolean(opts.getters),
    showHidden: Boolean(opts.showHidden),
    breakLength: opts.breakLength ?? 80,
    trailingComma: false,
  });
}
inspect.custom = Symbol.for("nodejs.util.inspect.custom");
inspect.defaultOptions = { depth: 2, colors: false };

/** printf-like formatting: %s %d %i %f %j %o %O %c %%; the rest is inspected and joined with spaces. */
export function format(first, ...args) {
  if (typeof first !== "string") return [first, ...args].map((v) => (typeof v === "string" ? v : inspect(v))).join(" ");
  let i = 0;
  let out = first.replace(/%([sdifjoOc%])/g, (match, kind) => {
    if (kind === "%") return "%";
    if (i >= args.length) return match;
    const value = args[i++];
    switch (kind) {
      case "s":
        if (typeof value === "bigint") return `${value}n`;
        if (typeof value === "object" && value !== null) return inspect(value, { depth: 1 });
        return String(value);
      case "d":
        if (typeof value === "bigint") return `${value}n`;
        return typeof value === "object" ? "NaN" : String(Number(value));
      case "i":
        return typeof value === "bigint" ? `${value}n` : String(parseInt(value, 10));
      case "f":
        return String(parseFloat(value));
      case "j":
        try {
          return JSON.stringify(value);
        } catch {
          return "[Circular]";
        }
      case "o":
        return inspect(value, { showHidden: true, depth: 4 });
      case "O":
        return inspect(value);
      case "c":
        return "";
    }
    return match;
  });
  for (; i < args.length; i++) out += ` ${typeof args[i] === "string" ? args[i] : inspect(args[i])}`;
  return out;
}

export function formatWithOptions(options, ...args) {
  return format(...args);
}

const kCustomPromisified = Symbol.for("nodejs.util.promisify.custom");

export function promisify(original) {
  if (typeof original !== "function") {
    const err = new TypeError(`The "original" argument must be of type function. Received ${typeof original}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
  const custom = original[kCustomPromisified];
  if (typeof custom === "function") return custom;
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, ...values) => {
        if (err) reject(err);
        else resolve(values.length > 1 ? values : values[0]);
      }]);
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  Object.defineProperty(promisified, kCustomPromisified, { value: promisified });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = kCustomPromisified;

export function callbackify(original) {
  return function callbackified(...args) {
    const callback = args.pop();
    Reflect.apply(original, this, args).then(
      (value) => globalThis.process.nextTick(callback, null, value),
      (err) => globalThis.process.nextTick(callback, err ?? new Error("Promise was rejected with a falsy value")),
    );
  };
}

export function inherits(ctor, superCtor) {
  Object.defineProperty(ctor, "super_", { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

export function deprecate(fn, message) {
  let warned = false;
  return function deprecated(...args) {
    if (!warned) {
      warned = true;
      globalThis.console.error(`DeprecationWarning: ${message}`);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  };
}

export function debuglog() {
  const log = () => {};
  log.enabled = false;
  return log;
}
export const debug = debuglog;

const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);
export const types = {
  isPromise: (v) => v instanceof Promise,
  isDate: (v) => v instanceof Date,
  isRegExp: (v) => v instanceof RegExp,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isWeakMap: (v) => v instanceof WeakMap,
  isWeakSet: (v) => v instanceof WeakSet,
  isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: (v) => v instanceof Uint8Array,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer || v instanceof SharedArrayBuffer,
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: (v) => v instanceof DataView,
  isNativeError: (v) => v instanceof Error,
  isAsyncFunction: (v) => tag(v) === "AsyncFunction" || tag(v) === "AsyncGeneratorFunction",
  isGeneratorFunction: (v) => tag(v) === "GeneratorFunction" || tag(v) === "AsyncGeneratorFunction",
  isGeneratorObject: (v) => tag(v) === "Generator",
  isBoxedPrimitive: (v) => v instanceof Number || v instanceof String || v instanceof Boolean,
  isSymbolObject: (v) => tag(v) === "Symbol" && typeof v === "object",
  isProxy: () => false,
};

export function isDeepStrictEqual(a, b) {
  return deepEqual(a, b, true);
}

/** Structural equality as assert.deepStrictEqual (strict) or deepEqual (loose) see it. */
export function deepEqual(a, b, strict, seen = new Map()) {
  if (strict ? Object.is(a, b) : a == b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (tag(a) !== tag(b)) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a)) {
    if (a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((v, i) => v === y[i]);
  }
  if (a instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k), strict, seen)) return false;
    return true;
  }
  if (a instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (a instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !deepEqual(a[key], b[key], strict, seen)) return false;
  }
  return true;
}

export const TextEncoder = WebTextEncoder;
export const TextDecoder = WebTextDecoder;
export const isArray = Array.isArray;
export const isDeepEqual = (a, b) => deepEqual(a, b, false);
export function toUSVString(s) {
  return String(s).toWellFormed();
}
export function stripVTControlCharacters(s) {
  // deno-lint-ignore no-control-regex
  return String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
}

export default {
  inspect, format, formatWithOptions, promisify, callbackify, inherits, deprecate, debuglog, debug, types,
  isDeepStrictEqual, TextEncoder, TextDecoder, isArray, toUSVString, stripVTControlCharacters,
};
