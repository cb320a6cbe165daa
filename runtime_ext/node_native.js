// The Rust side of the `node:` modules (node.rs): system facts and hashes.
import { op_node_hash_digest, op_node_hash_new, op_node_hash_update, op_node_os_info } from "ext:core/ops";

/** hostname, cpus, memory, uptime, load, kernel, user: read once per call. */
export const osInfo = () => op_node_os_info();

/** A hash (or an HMAC when `key` is given) fed with `update(bytes)`, finished with `digest()`. */
export function newHash(algorithm, key) {
  const rid = op_node_hash_new(String(algorithm), key ?? null);
  return {
    update: (bytes) => op_node_hash_update(rid, bytes),
    digest: () => op_node_hash_digest(rid),
  };
}
