// node:buffer: Buffer, a Uint8Array with Node's encodings and helpers.
import { TextDecoder, TextEncoder } from "ext:deno_web/08_text_encoding.js";
import { atob as webAtob, btoa as webBtoa } from "ext:deno_web/05_base64.js";
import { Blob as WebBlob, File as WebFile } from "ext:deno_web/09_file.js";

const encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

const ENCODINGS = ["utf8", "utf-8", "hex", "base64", "base64url", "latin1", "binary", "ascii", "utf16le", "utf-16le",
  "ucs2", "ucs-2"];

function normalizeEncoding(encoding) {
  if (encoding === undefined || encoding === null) return "utf8";
  const e = String(encoding).toLowerCase();
  switch (e) {
    case "utf8": case "utf-8": return "utf8";
    case "hex": return "hex";
    case "base64": return "base64";
    case "base64url": return "base64url";
    case "latin1": case "binary": return "latin1";
    case "ascii": return "ascii";
    case "utf16le": case "utf-16le": case "ucs2": case "ucs-2": return "utf16le";
    default: {
      const err = new TypeError(`Unknown encoding: ${encoding}`);
      err.code = "ERR_UNKNOWN_ENCODING";
      throw err;
    }
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_INDEX = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) BASE64_INDEX[BASE64.charCodeAt(i)] = i;
BASE64_INDEX["-".charCodeAt(0)] = 62;
BASE64_INDEX["_".charCodeAt(0)] = 63;

function base64Decode(text) {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 256 ? BASE64_INDEX[code] : -1;
    if (digit === -1) {
      if (text[i] === "=") break;
      continue; // Node skips characters outside the alphabet
    }
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function base64Encode(bytes, url) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += BASE64[v >> 18] + BASE64[(v >> 12) & 63] + BASE64[(v >> 6) & 63] + BASE64[v & 63];
  }
  if (i < bytes.length) {
    const rest = bytes.length - i;
    const v = (bytes[i] << 16) | (rest === 2 ? bytes[i + 1] << 8 : 0);
    out += BASE64[v >> 18] + BASE64[(v >> 12) & 63] + (rest === 2 ? BASE64[(v >> 6) & 63] : "=") + "=";
  }
  if (!url) return out;
  return out.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function encode(text, encoding) {
  switch (normalizeEncoding(encoding)) {
    case "utf8":
      return encoder.encode(text);
    case "hex": {
      const n = text.length >>> 1;
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const byte = parseInt(text.substr(i * 2, 2), 16);
        if (Number.isNaN(byte)) return out.subarray(0, i);
        out[i] = byte;
      }
      return out;
    }
    case "base64":
    case "base64url":
      return base64Decode(text);
    case "latin1":
    case "ascii": {
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
      return out;
    }
    case "utf16le": {
      const out = new Uint8Array(text.length * 2);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        out[i * 2] = c & 0xff;
        out[i * 2 + 1] = c >> 8;
      }
      return out;
    }
  }
}

function decode(bytes, encoding) {
  switch (normalizeEncoding(encoding)) {
    case "utf8":
      return utf8Decoder.decode(bytes);
    case "hex":
      return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    case "base64":
      return base64Encode(bytes, false);
    case "base64url":
      return base64Encode(bytes, true);
    case "latin1": {
      let out = "";
      for (let i = 0; i < bytes.length; i += 4096) out += String.fromCharCode(...bytes.subarray(i, i + 4096));
      return out;
    }
    case "ascii": {
      let out = "";
      for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i] & 0x7f);
      return out;
    }
    case "utf16le": {
      let out = "";
      for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes[i] | (bytes[i + 1] << 8));
      return out;
    }
  }
}

/** The class behind every Buffer (Buffer itself is a callable function, as in Node). */
class FastBuffer extends Uint8Array {}

/** Node's `Buffer(...)` and `new Buffer(...)` (deprecated there, accepted here). */
export function Buffer(value, encodingOrOffset, length) {
  if (typeof value === "number") return Buffer.alloc(value);
  return Buffer.from(value, encodingOrOffset, length);
}

Object.setPrototypeOf(Buffer.prototype, Uint8Array.prototype);
Object.setPrototypeOf(Buffer, Uint8Array);
FastBuffer.prototype.constructor = Buffer;
Object.setPrototypeOf(FastBuffer.prototype, Buffer.prototype);

function wrap(bytes) {
  return new FastBuffer(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function argError(message) {
  const err = new TypeError(message);
  err.code = "ERR_INVALID_ARG_TYPE";
  return err;
}

Buffer.from = function from(value, encodingOrOffset, length) {
  if (typeof value === "string") return wrap(encode(value, encodingOrOffset));
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) {
    const offset = encodingOrOffset ?? 0;
    return new FastBuffer(value, offset, length ?? value.byteLength - offset);
  }
  if (ArrayBuffer.isView(value)) {
    const copy = new FastBuffer(value.byteLength);
    copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return copy;
  }
  if (Array.isArray(value)) return new FastBuffer(value.map((v) => Number(v) & 0xff));
  if (value && typeof value === "object") {
    if (value.type === "Buffer" && Array.isArray(value.data)) return Buffer.from(value.data);
    if (typeof value.length === "number") return Buffer.from(Array.from(value));
    const primitive = value.valueOf?.() ?? value[Symbol.toPrimitive]?.("string");
    if (primitive !== value && primitive !== undefined) return Buffer.from(primitive, encodingOrOffset, length);
  }
  throw argError(
    "The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.",
  );
};

Buffer.alloc = function alloc(size, fill, encoding) {
  const buffer = new FastBuffer(size);
  if (fill !== undefined && fill !== 0) buffer.fill(fill, 0, size, encoding);
  return buffer;
};
Buffer.allocUnsafe = (size) => new FastBuffer(size);
Buffer.allocUnsafeSlow = (size) => new FastBuffer(size);
Buffer.isBuffer = (value) => value instanceof Buffer;
Buffer.isEncoding = (encoding) => typeof encoding === "string" && ENCODINGS.includes(encoding.toLowerCase());
Buffer.byteLength = function byteLength(value, encoding) {
  if (typeof value !== "string") return value.byteLength;
  return encode(value, encoding).byteLength;
};
Buffer.concat = function concat(list, totalLength) {
  const total = totalLength ?? list.reduce((n, b) => n + b.length, 0);
  const out = Buffer.alloc(total);
  let at = 0;
  for (const b of list) {
    if (at >= total) break;
    const part = b.subarray(0, total - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
};
Buffer.compare = (a, b) => a.compare(b);
Buffer.poolSize = 8192;

const proto = {
  toString(encoding, start = 0, end = this.length) {
    return decode(Uint8Array.prototype.subarray.call(this, start, end), encoding);
  },
  toJSON() {
    return { type: "Buffer", data: Array.from(this) };
  },
  equals(other) {
    return this.compare(other) === 0;
  },
  compare(other, targetStart = 0, targetEnd = other.length, sourceStart = 0, sourceEnd = this.length) {
    const a = this.subarray(sourceStart, sourceEnd);
    const b = other.subarray(targetStart, targetEnd);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  },
  subarray(start, end) {
    return wrap(Uint8Array.prototype.subarray.call(this, start, end));
  },
  slice(start, end) {
    return this.subarray(start, end);
  },
  write(text, offset = 0, length, encoding) {
    if (typeof offset === "string") [encoding, offset, length] = [offset, 0, undefined];
    else if (typeof length === "string") [encoding, length] = [length, undefined];
    const bytes = encode(text, encoding);
    const n = Math.min(bytes.length, length ?? this.length - offset, this.length - offset);
    this.set(bytes.subarray(0, n), offset);
    return n;
  },
  copy(target, targetStart = 0, sourceStart = 0, sourceEnd = this.length) {
    const part = this.subarray(sourceStart, Math.min(sourceEnd, sourceStart + target.length - targetStart));
    target.set(part, targetStart);
    return part.length;
  },
  fill(value, offset = 0, end = this.length, encoding) {
    if (typeof offset === "string") [encoding, offset, end] = [offset, 0, this.length];
    if (typeof value === "number") return Uint8Array.prototype.fill.call(this, value & 0xff, offset, end);
    const bytes = typeof value === "string" ? encode(value, encoding) : value;
    if (bytes.length === 0) return Uint8Array.prototype.fill.call(this, 0, offset, end);
    for (let i = offset; i < end; i++) this[i] = bytes[(i - offset) % bytes.length];
    return this;
  },
  indexOf(value, byteOffset = 0, encoding) {
    if (typeof value === "number") return Uint8Array.prototype.indexOf.call(this, value & 0xff, byteOffset);
    const needle = typeof value === "string" ? encode(value, encoding) : value;
    if (byteOffset < 0) byteOffset = Math.max(0, this.length + byteOffset);
    outer: for (let i = byteOffset; i <= this.length - needle.length; i++) {
      for (let j = 0; j < needle.length; j++) if (this[i + j] !== needle[j]) continue outer;
      return i;
    }
    return -1;
  },
  includes(value, byteOffset, encoding) {
    return this.indexOf(value, byteOffset, encoding) !== -1;
  },
  toLocaleString(encoding, start, end) {
    return this.toString(encoding, start, end);
  },
};
for (const [name, fn] of Object.entries(proto)) {
  Object.defineProperty(Buffer.prototype, name, { value: fn, writable: true, configurable: true });
}

// readUInt16LE, writeInt32BE, readDoubleLE, readBigUInt64LE ... over a DataView.
const NUMBERS = [
  ["UInt8", 1, "Uint8"], ["Int8", 1, "Int8"], ["UInt16", 2, "Uint16"], ["Int16", 2, "Int16"],
  ["UInt32", 4, "Uint32"], ["Int32", 4, "Int32"], ["Float", 4, "Float32"], ["Double", 8, "Float64"],
  ["BigUInt64", 8, "BigUint64"], ["BigInt64", 8, "BigInt64"],
];
const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
for (const [name, size, kind] of NUMBERS) {
  const ends = size === 1 ? [""] : ["LE", "BE"];
  for (const end of ends) {
    const little = end === "LE";
    const read = function (offset = 0) {
      if (offset < 0 || offset + size > this.length) {
        const err = new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${this.length - size}. Received ${offset}`);
        err.code = "ERR_OUT_OF_RANGE";
        throw err;
      }
      return view(this)[`get${kind}`](offset, little);
    };
    const write = function (value, offset = 0) {
      view(this)[`set${kind}`](offset, value, little);
      return offset + size;
    };
    for (const [prefix, fn] of [["read", read], ["write", write]]) {
      for (const alias of [`${prefix}${name}${end}`, `${prefix}${name.replace("UInt", "Uint")}${end}`]) {
        Object.defineProperty(Buffer.prototype, alias, { value: fn, writable: true, configurable: true });
      }
    }
  }
}

export const kMaxLength = 2 ** 32;
export const constants = { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: 2 ** 29 - 24 };
export const SlowBuffer = Buffer.allocUnsafeSlow;
export const atob = webAtob;
export const btoa = webBtoa;
export const Blob = WebBlob;
export const File = WebFile;
export function isUtf8(input) {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(input);
    return true;
  } catch {
    return false;
  }
}

export default { Buffer, kMaxLength, constants, SlowBuffer, atob, btoa, Blob, File, isUtf8 };
