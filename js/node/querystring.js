// node:querystring: the legacy form-encoding helpers.
export function parse(text, sep = "&", eq = "=") {
  const out = Object.create(null);
  if (typeof text !== "string" || text === "") return out;
  for (const part of text.split(sep)) {
    if (part === "") continue;
    const at = part.indexOf(eq);
    const key = unescape(at === -1 ? part : part.slice(0, at));
    const value = at === -1 ? "" : unescape(part.slice(at + eq.length));
    if (key in out) out[key] = [].concat(out[key], value);
    else out[key] = value;
  }
  return out;
}

export function stringify(object, sep = "&", eq = "=") {
  if (!object || typeof object !== "object") return "";
  return Object.entries(object)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${escape(k)}${eq}${escape(x ?? "")}`))
    .join(sep);
}

export function escape(value) {
  return encodeURIComponent(String(value));
}

export function unescape(value) {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    return value;
  }
}

export const decode = parse;
export const encode = stringify;
export default { parse, stringify, escape, unescape, decode, encode };
