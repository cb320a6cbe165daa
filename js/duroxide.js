// The `duroxide` module as users reach it: `import { Runtime } from "duroxide"`,
// `import duroxide from "duroxide"`, and `require('duroxide')` (the default export).
import * as sdk from "ext:duroxide/sdk.js";

export * from "ext:duroxide/sdk.js";
export default Object.freeze({ ...sdk });
