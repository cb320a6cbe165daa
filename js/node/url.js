// node:url: WHATWG URL, file URLs and the legacy `parse`/`format`.
import { URL, URLSearchParams } from "ext:deno_url/00_url.js";

export { URL, URLSearchParams };

export function fileURLToPath(url) {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") {
    const err = new TypeError("The URL must be of scheme file");
    err.code = "ERR_INVALID_URL_SCHEME";
    throw err;
  }
  return decodeURIComponent(u.pathname);
}

export function pathToFileURL(path) {
  const absolute = path.startsWith("/") ? path : `${globalThis.process.cwd()}/${path}`;
  const url = new URL("file://");
  url.pathname = absolute.split("/").map((s) => encodeURIComponent(s)).join("/");
  return url;
}

/** The legacy parse: absolute URLs only get their parts; relative ones keep the path. */
export function parse(text, parseQuery = false) {
  let u;
  try {
    u = new URL(text);
  } catch {
    const [pathname, query = null] = text.split("?");
    return { protocol: null, slashes: null, auth: null, host: null, port: null, hostname: null, hash: null,
      search: query === null ? null : `?${query}`, query: parseQuery ? Object.fromEntries(new URLSearchParams(query ?? "")) : query,
      pathname, path: text, href: text };
  }
  const query = u.search ? u.search.slice(1) : null;
  return {
    protocol: u.protocol, slashes: true, auth: u.username ? `${u.username}${u.password ? `:${u.password}` : ""}` : null,
    host: u.host, port: u.port || null, hostname: u.hostname, hash: u.hash || null, search: u.search || null,
    query: parseQuery ? Object.fromEntries(u.searchParams) : query, pathname: u.pathname,
    path: `${u.pathname}${u.search}`, href: u.href,
  };
}

export function format(value) {
  if (value instanceof URL) return value.href;
  if (typeof value === "string") return value;
  const auth = value.auth ? `${value.auth}@` : "";
  const host = value.host ?? `${value.hostname ?? ""}${value.port ? `:${value.port}` : ""}`;
  const protocol = value.protocol ? (value.protocol.endsWith(":") ? value.protocol : `${value.protocol}:`) : "";
  const search = value.search ?? (value.query ? `?${new URLSearchParams(value.query)}` : "");
  return `${protocol}${host || protocol === "file:" ? "//" : ""}${auth}${host}${value.pathname ?? ""}${search}${value.hash ?? ""}`;
}

export function resolve(from, to) {
  return new URL(to, new URL(from, "resolve://")).href.replace(/^resolve:\/\//, "");
}

export default { URL, URLSearchParams, fileURLToPath, pathToFileURL, parse, format, resolve };
