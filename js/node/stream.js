// node:stream: Readable, Writable, Duplex, Transform, PassThrough, pipeline,
// finished - the flowing-mode model that file streams, subprocess pipes and
// most packages use. Constructors are functions (not classes), so old-style
// subclasses that call `Readable.call(this, options)` work.
import { EventEmitter, abortError } from "ext:duroxide/node/events.js";
import { Buffer } from "ext:duroxide/node/buffer.js";
import { inherits } from "ext:duroxide/node/util.js";
import { TextDecoder, TextEncoder } from "ext:deno_web/08_text_encoding.js";
import { ReadableStream } from "ext:deno_web/06_streams.js";

const nextTick = (fn, ...args) => globalThis.queueMicrotask(() => fn(...args));

export function Stream(options) {
  EventEmitter.call(this, options);
}
inherits(Stream, EventEmitter);

Stream.prototype.pipe = function pipe(dest, options) {
  return Readable.prototype.pipe.call(this, dest, options);
};

function toChunk(chunk, encoding, objectMode) {
  if (objectMode || chunk === null) return chunk;
  if (typeof chunk === "string") return Buffer.from(chunk, encoding);
  if (chunk instanceof Uint8Array && !(chunk instanceof Buffer)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return chunk;
}

// -- Readable --

export function Readable(options = {}) {
  if (!(this instanceof Readable)) return new Readable(options);
  Stream.call(this, options);
  const objectMode = Boolean(options.objectMode || options.readableObjectMode);
  this._readableState = {
    objectMode,
    highWaterMark: options.highWaterMark ?? (objectMode ? 16 : 65536),
    buffer: [],
    length: 0,
    flowing: null,
    ended: false,
    endEmitted: false,
    reading: false,
    destroyed: false,
    decoder: null,
    encoding: null,
    scheduled: false,
  };
  if (typeof options.read === "function") this._read = options.read;
  if (typeof options.destroy === "function") this._destroy = options.destroy;
  if (options.encoding) this.setEncoding(options.encoding);
  if (options.signal) addAbortSignal(options.signal, this);
}
inherits(Readable, Stream);

Object.defineProperties(Readable.prototype, {
  readable: { get() { return !this._readableState.destroyed && !this._readableState.endEmitted; }, configurable: true },
  readableEnded: { get() { return this._readableState.endEmitted; }, configurable: true },
  readableFlowing: { get() { return this._readableState.flowing; }, configurable: true },
  readableLength: { get() { return this._readableState.length; }, configurable: true },
  readableObjectMode: { get() { return this._readableState.objectMode; }, configurable: true },
  readableHighWaterMark: { get() { return this._readableState.highWaterMark; }, configurable: true },
  destroyed: {
    get() { return (this._readableState ?? this._writableState).destroyed; },
    configurable: true,
  },
});

Readable.prototype._read = function _read() {
  this.destroy(Object.assign(new Error("The _read() method is not implemented"), { code: "ERR_METHOD_NOT_IMPLEMENTED" }));
};

Readable.prototype.push = function push(chunk, encoding) {
  const state = this._readableState;
  state.reading = false;
  if (state.ended && chunk !== null) {
    this.emit("error", Object.assign(new Error("stream.push() after EOF"), { code: "ERR_STREAM_PUSH_AFTER_EOF" }));
    return false;
  }
  if (chunk === null) {
    state.ended = true;
  } else {
    chunk = toChunk(chunk, encoding, state.objectMode);
    if (state.decoder) chunk = state.decoder.decode(chunk, { stream: true });
    if (!state.objectMode && chunk.length === 0) return state.length < state.highWaterMark;
    state.buffer.push(chunk);
    state.length += state.objectMode ? 1 : chunk.length;
    if (state.flowing !== true) this.emit("readable");
  }
  scheduleFlow(this);
  return state.length < state.highWaterMark;
};

Readable.prototype.unshift = function unshift(chunk) {
  const state = this._readableState;
  state.buffer.unshift(chunk);
  state.length += state.objectMode ? 1 : chunk.length;
};

Readable.prototype.read = function read() {
  const state = this._readableState;
  if (state.buffer.length === 0) {
    requestMore(this);
    if (state.ended) scheduleFlow(this);
    return null;
  }
  const chunk = state.buffer.shift();
  state.length -= state.objectMode ? 1 : chunk.length;
  requestMore(this);
  return chunk;
};

function requestMore(stream) {
  const state = stream._readableState;
  if (state.ended || state.reading || state.destroyed || state.length >= state.highWaterMark) return;
  state.reading = true;
  try {
    const result = stream._read(state.highWaterMark);
    if (result && typeof result.then === "function") result.catch((err) => stream.destroy(err));
  } catch (err) {
    stream.destroy(err);
  }
}

function scheduleFlow(stream) {
  const state = stream._readableState;
  if (state.scheduled) return;
  state.scheduled = true;
  nextTick(() => {
    state.scheduled = false;
    flow(stream);
  });
}

function flow(stream) {
  const state = stream._readableState;
  if (state.destroyed) return;
  while (state.flowing === true && state.buffer.length > 0) {
    const chunk = state.buffer.shift();
    state.length -= state.objectMode ? 1 : chunk.length;
    stream.emit("data", chunk);
  }
  if (state.ended && state.buffer.length === 0 && !state.endEmitted && state.flowing !== false) {
    if (state.flowing === null && stream.listenerCount("end") === 0 && stream.listenerCount("data") === 0) return;
    state.endEmitted = true;
    if (state.decoder) {
      const rest = state.decoder.decode();
      if (rest) stream.emit("data", rest);
    }
    stream.emit("end");
    if (stream._autoClose !== false) nextTick(() => stream.destroy());
    return;
  }
  if (state.flowing === true) requestMore(stream);
}

Readable.prototype.on = function on(name, listener) {
  const result = Stream.prototype.on.call(this, name, listener);
  const state = this._readableState;
  if (name === "data" && state.flowing !== false) this.resume();
  if (name === "readable" || name === "end") {
    requestMore(this);
    scheduleFlow(this);
  }
  return result;
};
Readable.prototype.addListener = Readable.prototype.on;

Readable.prototype.resume = function resume() {
  const state = this._readableState;
  state.flowing = true;
  this.emit("resume");
  requestMore(this);
  scheduleFlow(this);
  return this;
};

Readable.prototype.pause = function pause() {
  if (this._readableState.flowing !== false) {
    this._readableState.flowing = false;
    this.emit("pause");
  }
  return this;
};

Readable.prototype.isPaused = function isPaused() {
  return this._readableState.flowing === false;
};

Readable.prototype.setEncoding = function setEncoding(encoding) {
  const state = this._readableState;
  state.encoding = encoding;
  state.decoder = new TextDecoder(encoding === "utf8" ? "utf-8" : encoding);
  return this;
};

Readable.prototype.pipe = function pipe(dest, options = {}) {
  const source = this;
  const onData = (chunk) => {
    if (dest.write(chunk) === false && typeof source.pause === "function") {
      source.pause();
      dest.once("drain", () => source.resume());
    }
  };
  source.on("data", onData);
  if (options.end !== false) source.once("end", () => dest.end());
  dest.emit("pipe", source);
  return dest;
};

Readable.prototype.unpipe = function unpipe() {
  this.removeAllListeners("data");
  return this;
};

Readable.prototype.destroy = function destroy(err, callback) {
  const state = this._readableState ?? this._writableState;
  if (state.destroyed) {
    callback?.(err);
    return this;
  }
  state.destroyed = true;
  const done = (error) => {
    callback?.(error);
    nextTick(() => {
      if (error) this.emit("error", error);
      this.emit("close");
    });
  };
  if (typeof this._destroy === "function") this._destroy(err ?? null, done);
  else done(err);
  return this;
};

Readable.prototype[Symbol.asyncIterator] = async function* iterate() {
  const state = this._readableState;
  let wake = null;
  let failure = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  this.on("readable", signal);
  this.on("end", signal);
  this.on("close", signal);
  this.on("error", (err) => {
    failure = err;
    signal();
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const chunk = this.read();
      if (chunk !== null) {
        yield chunk;
        continue;
      }
      if (state.ended && state.buffer.length === 0) {
        if (state.decoder) {
          const rest = state.decoder.decode();
          if (rest) yield rest;
        }
        state.endEmitted = true;
        return;
      }
      if (state.destroyed) {
        if (failure) throw failure;
        return;
      }
      await new Promise((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!state.endEmitted) this.destroy();
  }
};

Readable.prototype.toArray = async function toArray() {
  const chunks = [];
  for await (const chunk of this) chunks.push(chunk);
  return chunks;
};

/** A Readable over an iterable or async iterable (strings and buffers, or objects). */
Readable.from = function from(iterable, options = {}) {
  if (typeof iterable === "string" || iterable instanceof Uint8Array) {
    return new Readable({ objectMode: true, ...options, read() {
      this.push(iterable);
      this.push(null);
    } });
  }
  const iterator = iterable[Symbol.asyncIterator]?.() ?? iterable[Symbol.iterator]();
  return new Readable({
    objectMode: true,
    ...options,
    async read() {
      try {
        const { value, done } = await iterator.next();
        this.push(done ? null : value);
      } catch (err) {
        this.destroy(err);
      }
    },
  });
};

/** A Node Readable over a web ReadableStream. */
Readable.fromWeb = function fromWeb(webStream, options = {}) {
  const reader = webStream.getReader();
  return new Readable({
    ...options,
    async read() {
      try {
        const { value, done } = await reader.read();
        this.push(done ? null : value);
      } catch (err) {
        this.destroy(err);
      }
    },
    destroy(err, callback) {
      reader.cancel(err).catch(() => {});
      callback(err);
    },
  });
};

Readable.toWeb = function toWeb(readable) {
  const iterator = readable[Symbol.asyncIterator]();
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === "string" ? new TextEncoder().encode(value) : value);
    },
    cancel() {
      readable.destroy();
    },
  });
};

// -- Writable --

export function Writable(options = {}) {
  if (!(this instanceof Writable) && !(this instanceof Duplex)) return new Writable(options);
  Stream.call(this, options);
  initWritable(this, options);
}
inherits(Writable, Stream);

function initWritable(stream, options) {
  const objectMode = Boolean(options.objectMode || options.writableObjectMode);
  stream._writableState = {
    objectMode,
    highWaterMark: options.highWaterMark ?? (objectMode ? 16 : 65536),
    queue: [],
    length: 0,
    writing: false,
    ending: false,
    ended: false,
    finished: false,
    destroyed: false,
    needDrain: false,
    decodeStrings: options.decodeStrings !== false,
    endCallbacks: [],
  };
  if (typeof options.write === "function") stream._write = options.write;
  if (typeof options.writev === "function") stream._writev = options.writev;
  if (typeof options.final === "function") stream._final = options.final;
  if (typeof options.destroy === "function") stream._destroy = options.destroy;
  if (options.signal) addAbortSignal(options.signal, stream);
}

Object.defineProperties(Writable.prototype, {
  writable: { get() { return !this._writableState.destroyed && !this._writableState.ending; }, configurable: true },
  writableEnded: { get() { return this._writableState.ending; }, configurable: true },
  writableFinished: { get() { return this._writableState.finished; }, configurable: true },
  writableLength: { get() { return this._writableState.length; }, configurable: true },
  writableObjectMode: { get() { return this._writableState.objectMode; }, configurable: true },
  writableHighWaterMark: { get() { return this._writableState.highWaterMark; }, configurable: true },
  destroyed: { get() { return this._writableState.destroyed; }, configurable: true },
});

Writable.prototype._write = function _write(chunk, encoding, callback) {
  if (this._writev) this._writev([{ chunk, encoding }], callback);
  else callback(Object.assign(new Error("The _write() method is not implemented"), { code: "ERR_METHOD_NOT_IMPLEMENTED" }));
};

Writable.prototype.write = function write(chunk, encoding, callback) {
  if (typeof encoding === "function") [callback, encoding] = [encoding, undefined];
  const state = this._writableState;
  if (state.ending) {
    const err = Object.assign(new Error("write after end"), { code: "ERR_STREAM_WRITE_AFTER_END" });
    nextTick(() => {
      callback?.(err);
      this.emit("error", err);
    });
    return false;
  }
  if (!state.objectMode && state.decodeStrings) chunk = toChunk(chunk, encoding, false);
  state.queue.push({ chunk, encoding: encoding ?? "buffer", callback });
  state.length += state.objectMode ? 1 : chunk.length;
  drainQueue(this);
  const ok = state.length < state.highWaterMark;
  if (!ok) state.needDrain = true;
  return ok;
};

function drainQueue(stream) {
  const state = stream._writableState;
  if (state.writing || state.destroyed) return;
  const next = state.queue.shift();
  if (!next) {
    if (state.needDrain) {
      state.needDrain = false;
      stream.emit("drain");
    }
    if (state.ending && !state.ended) finish(stream);
    return;
  }
  state.writing = true;
  let sync = true;
  const done = (err) => {
    const settle = () => {
      state.writing = false;
      state.length -= state.objectMode ? 1 : next.chunk.length;
      next.callback?.(err ?? null);
      if (err) {
        stream.destroy(err);
        return;
      }
      drainQueue(stream);
    };
    if (sync) nextTick(settle);
    else settle();
  };
  try {
    stream._write(next.chunk, next.encoding, done);
  } catch (err) {
    done(err);
  }
  sync = false;
}

function finish(stream) {
  const state = stream._writableState;
  state.ended = true;
  const complete = (err) => {
    if (err) {
      stream.destroy(err);
      return;
    }
    state.finished = true;
    for (const cb of state.endCallbacks) cb();
    stream.emit("finish");
    if (stream._autoClose !== false) nextTick(() => stream.destroy());
  };
  if (typeof stream._final === "function") {
    try {
      stream._final(complete);
    } catch (err) {
      complete(err);
    }
  } else {
    nextTick(complete);
  }
}

Writable.prototype.end = function end(chunk, encoding, callback) {
  if (typeof chunk === "function") [callback, chunk] = [chunk, undefined];
  else if (typeof encoding === "function") [callback, encoding] = [encoding, undefined];
  const state = this._writableState;
  if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
  if (callback) {
    if (state.finished) nextTick(callback);
    else state.endCallbacks.push(callback);
  }
  if (!state.ending) {
    state.ending = true;
    drainQueue(this);
  }
  return this;
};

Writable.prototype.cork = function cork() {};
Writable.prototype.uncork = function uncork() {};
Writable.prototype.setDefaultEncoding = function setDefaultEncoding() {
  return this;
};
Writable.prototype.destroy = Readable.prototype.destroy;

// -- Duplex, Transform, PassThrough --

export function Duplex(options = {}) {
  if (!(this instanceof Duplex)) return new Duplex(options);
  Readable.call(this, options);
  initWritable(this, options);
  if (options.allowHalfOpen === false) this.once("end", () => this.end());
}
inherits(Duplex, Readable);
for (const name of ["write", "end", "cork", "uncork", "setDefaultEncoding", "_write"]) {
  Duplex.prototype[name] = Writable.prototype[name];
}
for (const name of ["writable", "writableEnded", "writableFinished", "writableLength", "writableObjectMode",
  "writableHighWaterMark"]) {
  Object.defineProperty(Duplex.prototype, name, Object.getOwnPropertyDescriptor(Writable.prototype, name));
}
Object.defineProperty(Duplex.prototype, "destroyed", {
  get() { return this._readableState.destroyed || this._writableState.destroyed; },
  configurable: true,
});
Duplex.prototype.destroy = function destroy(err, callback) {
  this._writableState.destroyed = true;
  return Readable.prototype.destroy.call(this, err, callback);
};

export function Transform(options = {}) {
  if (!(this instanceof Transform)) return new Transform(options);
  Duplex.call(this, options);
  this._readableState.reading = true; // reads are driven by writes
  if (typeof options.transform === "function") this._transform = options.transform;
  if (typeof options.flush === "function") this._flush = options.flush;
}
inherits(Transform, Duplex);

Transform.prototype._transform = function _transform() {
  throw Object.assign(new Error("The _transform() method is not implemented"), { code: "ERR_METHOD_NOT_IMPLEMENTED" });
};

Transform.prototype._write = function _write(chunk, encoding, callback) {
  this._transform(chunk, encoding, (err, data) => {
    if (err) {
      callback(err);
      return;
    }
    if (data !== undefined && data !== null) this.push(data);
    callback();
  });
};

Transform.prototype._read = function _read() {};

Transform.prototype._final = function _final(callback) {
  const end = (err, data) => {
    if (err) {
      callback(err);
      return;
    }
    if (data !== undefined && data !== null) this.push(data);
    this.push(null);
    callback();
  };
  if (typeof this._flush === "function") this._flush(end);
  else end();
};

export function PassThrough(options) {
  if (!(this instanceof PassThrough)) return new PassThrough(options);
  Transform.call(this, options);
}
inherits(PassThrough, Transform);
PassThrough.prototype._transform = function _transform(chunk, encoding, callback) {
  callback(null, chunk);
};

// -- helpers --

/** Calls `callback(err?)` once the stream has ended, finished, or failed. */
export function finished(stream, options, callback) {
  if (typeof options === "function") [callback, options] = [options, {}];
  let called = false;
  const done = (err) => {
    if (called) return;
    called = true;
    cleanup();
    callback(err);
  };
  const onEnd = () => done();
  const onError = (err) => done(err);
  const onClose = () => {
    const r = stream._readableState;
    const w = stream._writableState;
    const complete = (!r || r.endEmitted) && (!w || w.finished);
    done(complete ? undefined : Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
  };
  const readableSide = stream._readableState && options.readable !== false;
  const writableSide = stream._writableState && options.writable !== false;
  if (readableSide) stream.on("end", onEnd);
  if (writableSide && !readableSide) stream.on("finish", onEnd);
  stream.on("error", onError);
  stream.on("close", onClose);
  function cleanup() {
    stream.removeListener("end", onEnd);
    stream.removeListener("finish", onEnd);
    stream.removeListener("error", onError);
    stream.removeListener("close", onClose);
  }
  return cleanup;
}

/** Pipes each stream into the next; `callback(err?)` when the last has finished or any failed. */
export function pipeline(...streams) {
  const callback = typeof streams[streams.length - 1] === "function" ? streams.pop() : () => {};
  if (streams.length === 1 && Array.isArray(streams[0])) streams = streams[0];
  streams = streams.map((s, i) => (i === 0 && !(s instanceof Stream) && s && (s[Symbol.asyncIterator] || s[Symbol.iterator]) && typeof s !== "string")
    ? Readable.from(s)
    : s);
  let failed = false;
  const fail = (err) => {
    if (failed) return;
    failed = true;
    for (const s of streams) if (!s.destroyed) s.destroy?.(err);
    callback(err);
  };
  for (let i = 0; i < streams.length - 1; i++) {
    streams[i].on("error", fail);
    streams[i].pipe(streams[i + 1]);
  }
  const last = streams[streams.length - 1];
  finished(last, (err) => {
    if (err) fail(err);
    else if (!failed) callback();
  });
  return last;
}

export function addAbortSignal(signal, stream) {
  const onAbort = () => stream.destroy(abortError(signal));
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return stream;
}

export const promises = {
  pipeline: (...streams) => new Promise((resolve, reject) => pipeline(...streams, (err) => (err ? reject(err) : resolve()))),
  finished: (stream, options) => new Promise((resolve, reject) => finished(stream, options ?? {}, (err) => (err ? reject(err) : resolve()))),
};

Stream.Stream = Stream;
Stream.Readable = Readable;
Stream.Writable = Writable;
Stream.Duplex = Duplex;
Stream.Transform = Transform;
Stream.PassThrough = PassThrough;
Stream.pipeline = pipeline;
Stream.finished = finished;
Stream.addAbortSignal = addAbortSignal;
Stream.promises = promises;

export default Stream;
