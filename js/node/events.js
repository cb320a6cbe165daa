// node:events: EventEmitter and `once`.

const kCapture = Symbol("kCapture");
let defaultMaxListeners = 10;

function checkListener(listener) {
  if (typeof listener !== "function") {
    const err = new TypeError(`The "listener" argument must be of type function. Received ${typeof listener}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
}

/**
 * A function, not a class, as in Node: old-style subclasses call
 * `EventEmitter.call(this)` and use `util.inherits`.
 */
export function EventEmitter(options) {
  EventEmitter.init.call(this, options);
}

EventEmitter.init = function init() {
  if (!this._events || this._events === Object.getPrototypeOf(this)._events) {
    this._events = Object.create(null);
  }
  this._maxListeners ??= undefined;
};

Object.defineProperty(EventEmitter, "defaultMaxListeners", {
  enumerable: true,
  get: () => defaultMaxListeners,
  set: (n) => {
    defaultMaxListeners = n;
  },
});

function listOf(emitter, name) {
  if (!emitter._events) emitter._events = Object.create(null);
  return emitter._events[name] ?? [];
}

function add(emitter, name, listener, prepend) {
  checkListener(listener);
  if (!emitter._events) emitter._events = Object.create(null);
  if (emitter._events.newListener !== undefined) emitter.emit("newListener", name, listener.listener ?? listener);
  const list = listOf(emitter, name).slice();
  if (prepend) list.unshift(listener);
  else list.push(listener);
  emitter._events[name] = list;
  return emitter;
}

function onceWrapper(emitter, name, listener) {
  checkListener(listener);
  function once(...args) {
    emitter.removeListener(name, once);
    return listener.apply(this, args);
  }
  once.listener = listener;
  return once;
}

const methods = {
  on(name, listener) {
    return add(this, name, listener, false);
  },
  addListener(name, listener) {
    return add(this, name, listener, false);
  },
  prependListener(name, listener) {
    return add(this, name, listener, true);
  },
  // Through `on`/`prependListener`, so subclasses that override those (streams) see every listener.
  once(name, listener) {
    return this.on(name, onceWrapper(this, name, listener));
  },
  prependOnceListener(name, listener) {
    return this.prependListener(name, onceWrapper(this, name, listener));
  },
  removeListener(name, listener) {
    checkListener(listener);
    const list = listOf(this, name);
    const at = list.findLastIndex((l) => l === listener || l.listener === listener);
    if (at === -1) return this;
    const rest = list.slice();
    rest.splice(at, 1);
    if (rest.length === 0) delete this._events[name];
    else this._events[name] = rest;
    if (this._events.removeListener !== undefined) this.emit("removeListener", name, listener);
    return this;
  },
  off(name, listener) {
    return this.removeListener(name, listener);
  },
  removeAllListeners(name) {
    if (!this._events) return this;
    if (name === undefined) this._events = Object.create(null);
    else delete this._events[name];
    return this;
  },
  emit(name, ...args) {
    const list = listOf(this, name);
    if (list.length === 0) {
      if (name === "error") {
        const err = args[0];
        if (err instanceof Error) throw err;
        const wrapped = new Error(`Unhandled error.${err === undefined ? "" : ` (${String(err)})`}`);
        wrapped.code = "ERR_UNHANDLED_ERROR";
        wrapped.context = err;
        throw wrapped;
      }
      return false;
    }
    for (const listener of list) listener.apply(this, args);
    return true;
  },
  listeners(name) {
    return listOf(this, name).map((l) => l.listener ?? l);
  },
  rawListeners(name) {
    return listOf(this, name).slice();
  },
  listenerCount(name) {
    return listOf(this, name).length;
  },
  eventNames() {
    return this._events ? Reflect.ownKeys(this._events) : [];
  },
  setMaxListeners(n) {
    this._maxListeners = n;
    return this;
  },
  getMaxListeners() {
    return this._maxListeners ?? defaultMaxListeners;
  },
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(EventEmitter.prototype, name, { value: fn, writable: true, configurable: true });
}

EventEmitter.prototype[kCapture] = false;
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.captureRejectionSymbol = Symbol.for("nodejs.rejection");

/** Resolves with the arguments of the next `name` event; rejects on `error` or an aborted signal. */
export function once(emitter, name, options = {}) {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onEvent = (...args) => {
      cleanup();
      resolve(args);
    };
    const onError = (err) => {
      cleanup();
      reject(err);
    };
    const onAbort = () => {
      cleanup();
      reject(abortError(signal));
    };
    function cleanup() {
      emitter.removeListener(name, onEvent);
      if (name !== "error") emitter.removeListener("error", onError);
      signal?.removeEventListener("abort", onAbort);
    }
    emitter.on(name, onEvent);
    if (name !== "error") emitter.on("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function abortError(signal) {
  const err = new Error("The operation was aborted", { cause: signal?.reason });
  err.name = "AbortError";
  err.code = "ABORT_ERR";
  return err;
}

EventEmitter.once = once;
export { abortError };
export default EventEmitter;
