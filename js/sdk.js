// The names the `duroxide` module exports (API.md, "Module exports").
export { SqliteProvider, PostgresProvider } from "ext:duroxide/providers.js";
export { Client } from "ext:duroxide/client.js";
export {
  initTracing,
  MAX_KV_KEYS,
  MAX_KV_VALUE_BYTES,
  MAX_TAG_NAME_BYTES,
  MAX_WORKER_TAGS,
  Runtime,
} from "ext:duroxide/runtime.js";
export { OrchestrationContext } from "ext:duroxide/orchestration_context.js";
export { ActivityContext } from "ext:duroxide/activity.js";
