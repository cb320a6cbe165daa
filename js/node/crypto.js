// node:crypto: hashes and HMACs, random bytes and ids, WebCrypto.
import { newHash } from "ext:duroxide/node_native.js";
import { Buffer } from "ext:duroxide/node/buffer.js";
import { crypto as webCrypto } from "ext:deno_crypto/00_crypto.js";

function bytesOf(data, encoding) {
  if (typeof data === "string") return Buffer.from(data, encoding ?? "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const err = new TypeError(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ${typeof data}`);
  err.code = "ERR_INVALID_ARG_TYPE";
  throw err;
}

class Digester {
  #hash;
  #algorithm;
  constructor(algorithm, key) {
    this.#algorithm = algorithm;
    this.#hash = newHash(algorithm, key);
  }
  update(data, encoding) {
    this.#hash.update(bytesOf(data, encoding));
    return this;
  }
  digest(encoding) {
    const out = Buffer.from(this.#hash.digest());
    return encoding && encoding !== "buffer" ? out.toString(encoding) : out;
  }
  copy() {
    throw new Error(`hash.copy() is not available in duroxide`);
  }
}

export class Hash extends Digester {}
export class Hmac extends Digester {}

export const createHash = (algorithm) => new Hash(algorithm);
export const createHmac = (algorithm, key) => new Hmac(algorithm, bytesOf(key));
export const getHashes = () => ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

export function randomBytes(size, callback) {
  const buffer = Buffer.alloc(size);
  for (let at = 0; at < size; at += 65536) globalThis.crypto.getRandomValues(buffer.subarray(at, Math.min(size, at + 65536)));
  if (typeof callback === "function") {
    globalThis.queueMicrotask(() => callback(null, buffer));
    return undefined;
  }
  return buffer;
}

export function randomInt(min, max, callback) {
  if (max === undefined || typeof max === "function") [min, max, callback] = [0, min, max];
  const range = max - min;
  const words = new Uint32Array(1);
  const limit = 2 ** 32 - (2 ** 32 % range);
  let n;
  do {
    globalThis.crypto.getRandomValues(words);
    n = words[0];
  } while (n >= limit);
  const value = min + (n % range);
  if (typeof callback === "function") {
    globalThis.queueMicrotask(() => callback(null, value));
    return undefined;
  }
  return value;
}

export const randomUUID = () => globalThis.crypto.randomUUID();
export const getRandomValues = (array) => globalThis.crypto.getRandomValues(array);

export function timingSafeEqual(a, b) {
  if (a.byteLength !== b.byteLength) {
    const err = new RangeError("Input buffers must have the same byte length");
    err.code = "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH";
    throw err;
  }
  const x = bytesOf(a);
  const y = bytesOf(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export const webcrypto = webCrypto;
export const subtle = webCrypto.subtle;

function unavailable(name) {
  return function () {
    throw new Error(`crypto.${name} is not available in duroxide (use crypto.subtle)`);
  };
}
export const createCipheriv = unavailable("createCipheriv");
export const createDecipheriv = unavailable("createDecipheriv");
export const createSign = unavailable("createSign");
export const createVerify = unavailable("createVerify");
export const generateKeyPair = unavailable("generateKeyPair");
export const pbkdf2 = unavailable("pbkdf2");
export const scrypt = unavailable("scrypt");

export default {
  createHash, createHmac, getHashes, randomBytes, randomInt, randomUUID, getRandomValues, timingSafeEqual, webcrypto,
  subtle, Hash, Hmac, createCipheriv, createDecipheriv, createSign, createVerify, generateKeyPair, pbkdf2, scrypt,
};
