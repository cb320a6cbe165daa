// node:util/types.
import { types } from "ext:duroxide/node/util.js";

export default types;
export const {
  isPromise, isDate, isRegExp, isMap, isSet, isWeakMap, isWeakSet, isTypedArray, isUint8Array, isArrayBuffer,
  isAnyArrayBuffer, isArrayBufferView, isDataView, isNativeError, isAsyncFunction, isGeneratorFunction,
  isGeneratorObject, isBoxedPrimitive, isSymbolObject, isProxy,
} = types;
