// Permission denials as one line that names the resource and the flag that
// would allow it (deno_permissions says "Requires read access to ...").
import { inStep } from "ext:duroxide/guard.js";

const DENIED = /^Requires (\w+) access to "?([^"]*)"?, run again with the --allow-(\w+) flag/;

function folderOf(path) {
  const at = path.lastIndexOf("/");
  return at > 0 ? path.slice(0, at) : "/";
}

/** A NotCapable error turned into Node-style `ERR_ACCESS_DENIED` with a sentence users can act on. */
export function explainDenied(err) {
  const m = DENIED.exec(err?.message ?? "");
  if (!m) return err;
  const [, kind, resource, flag] = m;
  const message = inStep()
    ? `${kind} access to ${resource} is not allowed in an orchestration: do I/O in an activity`
    : `${kind} access to ${resource} is denied: run with --allow-${flag}=${kind === "read" || kind === "write" ? folderOf(resource) : resource} (sandbox)`;
  const error = new Error(message);
  Object.assign(error, { code: "ERR_ACCESS_DENIED", permission: kind, resource });
  return error;
}
