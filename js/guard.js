// The determinism guard: while a generator step runs, APIs whose results
// would differ on replay throw an error naming the deterministic replacement
// and the user's file:line. Outside steps (activities, top-level code) they
// behave normally.

let stepping = false;

/** Whether a generator step is running now. */
export const inStep = () => stepping;

/** Throws the guard's error for `what` when called during a generator step. */
export function refuseInStep(what, instead) {
  if (stepping) refuse(what, instead);
}

/** Ends any step: after a stop by the watchdog, which skips `finally` blocks. */
export function resetGuard() {
  stepping = false;
}

/** Runs `fn` as a generator step, with the guard on. */
export function guarded(fn) {
  const outer = stepping;
  stepping = true;
  try {
    return fn();
  } finally {
    stepping = outer;
  }
}

/** The first stack frame of `error` outside the binary's own JS, as path:line:column. */
export function userLocation(error = new Error()) {
  const stack = error.stack ?? "";
  for (const line of stack.split("\n").slice(1)) {
    if (line.includes("ext:")) continue;
    const m = line.match(/\(?((?:file:\/\/)?[^\s()]+:\d+:\d+)\)?\s*$/);
    if (m) return m[1].replace("file://", "");
  }
  return "unknown location";
}

/** An Error whose (lazily formatted) stack marks the caller's place. */
export function captureSite() {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 6;
  const site = new Error();
  Error.stackTraceLimit = limit;
  return site;
}

function refuse(what, instead) {
  throw new Error(
    `${what} is not allowed in an orchestration: it would give a different result when the orchestration replays; ` +
      `use ${instead} instead (at ${userLocation()})`,
  );
}

function wrap(fn, what, instead) {
  const wrapped = {
    [fn.name](...args) {
      if (stepping) refuse(what, instead);
      return Reflect.apply(fn, this, args);
    },
  }[fn.name];
  return wrapped;
}

/**
 * `fn` refusing to run during a generator step: I/O belongs in activities
 * ("fs.readFileSync() is not allowed in an orchestration: ... (at flow.js:12)").
 * Keeps `fn`'s own properties (e.g. util.promisify.custom).
 */
export function forbidInSteps(what, fn) {
  const wrapped = wrap(fn, `${what}()`, "an activity");
  for (const key of Reflect.ownKeys(fn)) {
    if (key === "length" || key === "name" || key === "prototype") continue;
    Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(fn, key));
  }
  return wrapped;
}

/** Every plain function of `members` (not classes) refusing to run during a step, as `prefix.name`. */
export function forbidAllInSteps(prefix, members) {
  const out = {};
  for (const [name, value] of Object.entries(members)) {
    const isClass = typeof value === "function" && /^class[\s{]/.test(Function.prototype.toString.call(value));
    out[name] = typeof value === "function" && !isClass ? forbidInSteps(`${prefix}.${name}`, value) : value;
  }
  return out;
}

/**
 * Replaces the globals; `define` installs a global the way bootstrap does;
 * `fetch` and `crypto` are the web platform's, guarded here.
 */
export function installGuard(define, { fetch, crypto }) {
  const RealDate = globalThis.Date;
  function Date(...args) {
    if (!new.target) {
      if (stepping) refuse("Date()", "yield ctx.utcNow()");
      return RealDate();
    }
    if (stepping && args.length === 0) refuse("new Date()", "yield ctx.utcNow() and new Date(ms)");
    return Reflect.construct(RealDate, args, new.target);
  }
  Object.setPrototypeOf(Date, RealDate);
  Date.prototype = RealDate.prototype;
  Date.now = wrap(RealDate.now, "Date.now()", "yield ctx.utcNow()");
  define("Date", Date);

  Math.random = wrap(Math.random, "Math.random()", "yield ctx.newGuid() or an activity");

  const getRandomValues = (array) => crypto.getRandomValues(array);
  const randomUUID = () => crypto.randomUUID();
  define("crypto", Object.freeze({
    subtle: crypto.subtle,
    getRandomValues: wrap(getRandomValues, "crypto.getRandomValues()", "yield ctx.newGuid() or an activity"),
    randomUUID: wrap(randomUUID, "crypto.randomUUID()", "yield ctx.newGuid()"),
  }));
  define("setTimeout", wrap(globalThis.setTimeout, "setTimeout()", "yield ctx.scheduleTimer(ms)"));
  define("setInterval", wrap(globalThis.setInterval, "setInterval()", "yield ctx.scheduleTimer(ms) in a loop"));
  define("fetch", wrap(fetch, "fetch()", "an activity that does the request"));
}
