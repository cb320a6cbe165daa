// The `ctx` of an activity.
import { op_activity_call } from "ext:core/ops";

const call = Symbol("call");

export class ActivityContext {
  constructor(info, callId, makeClient) {
    this.instanceId = info.instanceId;
    this.executionId = info.executionId;
    this.orchestrationName = info.orchestrationName;
    this.orchestrationVersion = info.orchestrationVersion;
    this.activityName = info.activityName;
    this.workerId = info.workerId;
    this.sessionId = info.sessionId ?? null;
    Object.defineProperty(this, call, { value: { id: callId, tag: info.tag ?? null, makeClient } });
  }
  tag() {
    return this[call].tag;
  }
  isCancelled() {
    return op_activity_call(this[call].id, "isCancelled", []) === true;
  }
  getClient() {
    return this[call].makeClient();
  }
  traceInfo(message) {
    op_activity_call(this[call].id, "trace", ["INFO", String(message)]);
  }
  traceWarn(message) {
    op_activity_call(this[call].id, "trace", ["WARN", String(message)]);
  }
  traceError(message) {
    op_activity_call(this[call].id, "trace", ["ERROR", String(message)]);
  }
  traceDebug(message) {
    op_activity_call(this[call].id, "trace", ["DEBUG", String(message)]);
  }
}
