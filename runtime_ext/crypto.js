// `crypto.getRandomValues` and `crypto.randomUUID`, over the system's randomness.
import { op_random_bytes } from "ext:core/ops";

export function getRandomValues(array) {
  if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array) {
    throw new TypeError("crypto.getRandomValues expects an integer typed array");
  }
  if (array.byteLength > 65536) {
    throw new RangeError(`crypto.getRandomValues: ${array.byteLength} bytes requested, 65536 at most`);
  }
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(op_random_bytes(array.byteLength));
  return array;
}

export function randomUUID() {
  const b = op_random_bytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
