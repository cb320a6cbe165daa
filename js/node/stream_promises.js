// node:stream/promises.
import { promises } from "ext:duroxide/node/stream.js";

export default promises;
export const { pipeline, finished } = promises;
