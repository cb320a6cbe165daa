// node:assert and node:assert/strict.
import { deepEqual, inspect } from "ext:duroxide/node/util.js";

export class AssertionError extends Error {
  constructor(options) {
    const { message, actual, expected, operator } = options;
    super(message ?? `${inspect(actual)} ${operator} ${inspect(expected)}`);
    this.name = "AssertionError";
    this.code = "ERR_ASSERTION";
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    this.generatedMessage = message === undefined;
  }
}

function fail(actual, expected, message, operator, defaultMessage) {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message: message ?? defaultMessage, actual, expected, operator });
}

function ok(value, message) {
  if (!value) fail(value, true, message, "==", message === undefined && arguments.length === 0 ? "No value argument passed to `assert.ok()`" : `The expression evaluated to a falsy value:\n\n  assert.ok(${inspect(value)})\n`);
}

function matches(error, expected) {
  if (expected === undefined) return true;
  if (typeof expected === "function") {
    if (expected.prototype !== undefined && error instanceof expected) return true;
    if (Error.isPrototypeOf(expected) || expected === Error) return false;
    return expected(error) === true;
  }
  if (expected instanceof RegExp) return expected.test(String(error?.message ?? error));
  if (typeof expected === "object") {
    return Object.keys(expected).every((k) => (expected[k] instanceof RegExp ? expected[k].test(error?.[k]) : deepEqual(error?.[k], expected[k], true)));
  }
  return false;
}

function makeAssert(strict) {
  const assert = (value, message) => ok(value, message);
  Object.assign(assert, {
    ok,
    AssertionError,
    fail(message = "Failed") {
      if (message instanceof Error) throw message;
      throw new AssertionError({ message, operator: "fail" });
    },
    equal(actual, expected, message) {
      const same = strict ? Object.is(actual, expected) : actual == expected || (actual !== actual && expected !== expected);
      if (!same) fail(actual, expected, message, strict ? "strictEqual" : "==", `Expected values to be ${strict ? "strictly" : "loosely"} equal:\n\n${inspect(actual)} !== ${inspect(expected)}\n`);
    },
    notEqual(actual, expected, message) {
      const same = strict ? Object.is(actual, expected) : actual == expected;
      if (same) fail(actual, expected, message, strict ? "notStrictEqual" : "!=", `Expected "actual" to be ${strict ? "strictly " : ""}unequal to: ${inspect(expected)}`);
    },
    strictEqual(actual, expected, message) {
      if (!Object.is(actual, expected)) fail(actual, expected, message, "strictEqual", `Expected values to be strictly equal:\n\n${inspect(actual)} !== ${inspect(expected)}\n`);
    },
    notStrictEqual(actual, expected, message) {
      if (Object.is(actual, expected)) fail(actual, expected, message, "notStrictEqual", `Expected "actual" to be strictly unequal to: ${inspect(expected)}`);
    },
    deepEqual(actual, expected, message) {
      if (!deepEqual(actual, expected, strict)) fail(actual, expected, message, strict ? "deepStrictEqual" : "deepEqual", `Expected values to be ${strict ? "strictly " : "loosely "}deep-equal:\n\n${inspect(actual)}\n\nshould equal\n\n${inspect(expected)}\n`);
    },
    notDeepEqual(actual, expected, message) {
      if (deepEqual(actual, expected, strict)) fail(actual, expected, message, strict ? "notDeepStrictEqual" : "notDeepEqual", `Expected "actual" not to be ${strict ? "strictly " : ""}deep-equal to: ${inspect(expected)}`);
    },
    deepStrictEqual(actual, expected, message) {
      if (!deepEqual(actual, expected, true)) fail(actual, expected, message, "deepStrictEqual", `Expected values to be strictly deep-equal:\n\n${inspect(actual)}\n\nshould equal\n\n${inspect(expected)}\n`);
    },
    notDeepStrictEqual(actual, expected, message) {
      if (deepEqual(actual, expected, true)) fail(actual, expected, message, "notDeepStrictEqual", `Expected "actual" not to be strictly deep-equal to: ${inspect(expected)}`);
    },
    throws(fn, expected, message) {
      if (typeof expected === "string") [message, expected] = [expected, undefined];
      try {
        fn();
      } catch (e) {
        if (!matches(e, expected)) throw e;
        return;
      }
      fail(undefined, expected, message, "throws", "Missing expected exception.");
    },
    doesNotThrow(fn, expected, message) {
      try {
        fn();
      } catch (e) {
        fail(e, expected, typeof expected === "string" ? expected : message, "doesNotThrow", `Got unwanted exception.\nActual message: "${e?.message}"`);
      }
    },
    async rejects(promiseOrFn, expected, message) {
      if (typeof expected === "string") [message, expected] = [expected, undefined];
      try {
        await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
      } catch (e) {
        if (!matches(e, expected)) throw e;
        return;
      }
      fail(undefined, expected, message, "rejects", "Missing expected rejection.");
    },
    async doesNotReject(promiseOrFn, expected, message) {
      try {
        await (typeof promiseOrFn === "function" ? promiseOrFn() : promiseOrFn);
      } catch (e) {
        fail(e, expected, typeof expected === "string" ? expected : message, "doesNotReject", `Got unwanted rejection.\nActual message: "${e?.message}"`);
      }
    },
    match(text, pattern, message) {
      if (!pattern.test(text)) fail(text, pattern, message, "match", `The input did not match the regular expression ${pattern}. Input:\n\n${inspect(text)}\n`);
    },
    doesNotMatch(text, pattern, message) {
      if (pattern.test(text)) fail(text, pattern, message, "doesNotMatch", `The input was expected to not match the regular expression ${pattern}. Input:\n\n${inspect(text)}\n`);
    },
    ifError(value) {
      if (value !== null && value !== undefined) throw value;
    },
  });
  if (strict) {
    assert.deepEqual = assert.deepStrictEqual;
    assert.notDeepEqual = assert.notDeepStrictEqual;
  }
  return assert;
}

export const strict = makeAssert(true);
const assert = makeAssert(false);
assert.strict = strict;
strict.strict = strict;

export default assert;
