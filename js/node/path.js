// node:path, POSIX flavour (duroxide runs on Linux).

function check(value, name = "path") {
  if (typeof value !== "string") {
    const err = new TypeError(`The "${name}" argument must be of type string. Received ${typeof value}`);
    err.code = "ERR_INVALID_ARG_TYPE";
    throw err;
  }
}

/** Resolves `.` and `..` segments; keeps a leading `..` when the path is relative. */
function normalizeSegments(segments, absolute) {
  const out = [];
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(segment);
  }
  return out;
}

export function normalize(path) {
  check(path);
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const trailing = path.endsWith("/");
  let result = normalizeSegments(path.split("/"), absolute).join("/");
  if (result === "" && !absolute) result = ".";
  if (result !== "" && trailing) result += "/";
  return absolute ? `/${result}` : result;
}

export function join(...parts) {
  for (const part of parts) check(part);
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

export function isAbsolute(path) {
  check(path);
  return path.startsWith("/");
}

export function resolve(...parts) {
  let resolved = "";
  for (let i = parts.length - 1; i >= 0 && !resolved.startsWith("/"); i--) {
    check(parts[i]);
    if (parts[i] === "") continue;
    resolved = resolved === "" ? parts[i] : `${parts[i]}/${resolved}`;
  }
  if (!resolved.startsWith("/")) resolved = `${globalThis.process.cwd()}/${resolved}`;
  const result = `/${normalizeSegments(resolved.split("/"), true).join("/")}`;
  return result;
}

export function dirname(path) {
  check(path);
  if (path === "") return ".";
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const at = trimmed.lastIndexOf("/");
  if (at === -1) return ".";
  if (at === 0) return "/";
  return trimmed.slice(0, at).replace(/\/+$/, "") || "/";
}

export function basename(path, suffix) {
  check(path);
  if (suffix !== undefined) check(suffix, "ext");
  const trimmed = path.replace(/\/+$/, "");
  let base = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  if (suffix && base !== suffix && base.endsWith(suffix)) base = base.slice(0, -suffix.length);
  return base;
}

export function extname(path) {
  check(path);
  const base = basename(path);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return "";
  return base.slice(dot);
}

export function relative(from, to) {
  check(from, "from");
  check(to, "to");
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let same = 0;
  while (same < a.length && same < b.length && a[same] === b[same]) same++;
  return [...a.slice(same).map(() => ".."), ...b.slice(same)].join("/");
}

export function parse(path) {
  check(path);
  const root = path.startsWith("/") ? "/" : "";
  const base = basename(path);
  const ext = extname(path);
  let dir = dirname(path);
  if (dir === "." && !path.startsWith(".") && !path.includes("/")) dir = "";
  return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
}

export function format(parts) {
  if (parts === null || typeof parts !== "object") {
    throw new TypeError(`The "pathObject" argument must be of type object. Received ${parts}`);
  }
  const dir = parts.dir || parts.root || "";
  const base = parts.base || `${parts.name || ""}${parts.ext || ""}`;
  if (!dir) return base;
  return dir === parts.root ? `${dir}${base}` : `${dir}/${base}`;
}

export function toNamespacedPath(path) {
  return path;
}

export const sep = "/";
export const delimiter = ":";

const path = {
  normalize, join, isAbsolute, resolve, dirname, basename, extname, relative, parse, format, toNamespacedPath, sep,
  delimiter,
};
path.posix = path;
path.win32 = new Proxy({}, {
  get(_, member) {
    throw new Error(`path.win32${typeof member === "string" ? `.${member}` : ""} is not available in duroxide (it runs on Linux; use path.posix)`);
  },
});
export const posix = path;
export const win32 = path.win32;
export default path;
