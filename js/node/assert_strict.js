// node:assert/strict.
import { strict } from "ext:duroxide/node/assert.js";

export default strict;
