// Values cross into Rust as JSON text; these helpers give the errors a name.

/** Short human description of a value, for error messages. */
export function describe(value) {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "..." : value)}`;
  }
  if (typeof value === "bigint") return `a BigInt (${value}n)`;
  if (typeof value === "symbol") return `a symbol (${String(value)})`;
  if (typeof value !== "object") return `a ${typeof value} (${String(value)})`;
  if (typeof value.then === "function") return "a Promise";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const keys = Object.keys(value).slice(0, 5);
  return `an object {${keys.join(", ")}${Object.keys(value).length > 5 ? ", ..." : ""}}`;
}

/** JSON text of `value` (undefined becomes null), or a TypeError naming `what`. */
export function toJson(value, what) {
  if (value === undefined) return "null";
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new TypeError(`${what} cannot be stored as JSON: ${e.message}`);
  }
  if (text === undefined) {
    throw new TypeError(`${what} cannot be stored as JSON: it is ${describe(value)}`);
  }
  return text;
}

/** Parses JSON text; text that is not JSON comes back as the string itself. */
export function fromJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The message of a thrown value, for failures that cross into Rust. */
export function errorMessage(e) {
  if (e instanceof Error) {
    return e.name && e.name !== "Error" ? `${e.name}: ${e.message}` : e.message;
  }
  if (typeof e === "string") return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}
