// deno_fetch imports tracing helpers from deno_telemetry, which is not part of
// this build (it is TypeScript, and we do not trace fetches): these stand in
// for `ext:deno_telemetry/telemetry.ts` and `util.ts`, with tracing off.
export const TRACING_ENABLED = false;
export function builtinTracer() {
  return { startSpan: () => ({ end() {}, setAttribute() {}, setStatus() {} }) };
}
export const enterSpan = () => undefined;
export const restoreContext = () => {};
export const updateSpanFromRequest = () => {};
export const updateSpanFromResponse = () => {};
