// Web APIs from deno's extension crates, and the error classes their ops
// reject with (deno_core knows only the standard ones; an unregistered class
// would reject with `undefined`).
import { core } from "ext:core/mod.js";
import { fetch as denoFetch } from "ext:deno_fetch/26_fetch.js";
import { explainDenied } from "ext:duroxide/node/denied.js";
import { Headers } from "ext:deno_fetch/20_headers.js";
import { Request } from "ext:deno_fetch/23_request.js";
import { Response } from "ext:deno_fetch/23_response.js";
import { FormData } from "ext:deno_fetch/21_formdata.js";
import { EventSource } from "ext:deno_fetch/27_eventsource.js";
import { Blob, File } from "ext:deno_web/09_file.js";
import { FileReader } from "ext:deno_web/10_filereader.js";
import { CompressionStream, DecompressionStream } from "ext:deno_web/14_compression.js";
import { TextDecoderStream, TextEncoderStream } from "ext:deno_web/08_text_encoding.js";
import {
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
  ReadableByteStreamController,
  ReadableStream,
  ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest,
  ReadableStreamDefaultController,
  ReadableStreamDefaultReader,
  TransformStream,
  TransformStreamDefaultController,
  WritableStream,
  WritableStreamDefaultController,
  WritableStreamDefaultWriter,
} from "ext:deno_web/06_streams.js";
import { Crypto, crypto, CryptoKey, SubtleCrypto } from "ext:deno_crypto/00_crypto.js";
import { DOMException } from "ext:deno_web/01_dom_exception.js";

/** The io error classes deno's ops use; each carries Node's `code` when the OS gave one. */
const IO_ERRORS = [
  "NotFound", "PermissionDenied", "ConnectionRefused", "ConnectionReset", "ConnectionAborted", "NotConnected",
  "AddrInUse", "AddrNotAvailable", "BrokenPipe", "AlreadyExists", "InvalidData", "TimedOut", "Interrupted",
  "WouldBlock", "WriteZero", "UnexpectedEof", "Http", "Busy", "NotSupported", "FilesystemLoop", "IsADirectory",
  "NetworkUnreachable", "NotADirectory",
];

export const errors = {};
for (const name of IO_ERRORS) {
  if (name === "Interrupted") continue; // deno_core registers its own
  const ErrorClass = class extends Error {
    constructor(message, options) {
      super(message, options);
      this.name = name;
    }
  };
  Object.defineProperty(ErrorClass, "name", { value: name });
  errors[name] = ErrorClass;
  core.registerErrorClass(name, ErrorClass);
}

/** DOMException kinds deno_crypto and deno_web reject with. */
for (const kind of ["OperationError", "QuotaExceededError", "NotSupportedError", "NetworkError", "AbortError",
  "InvalidCharacterError", "DataError"]) {
  core.registerErrorBuilder(`DOMException${kind}`, (message) => new DOMException(message, kind));
}

/** Globals of the web platform, for `define` (bootstrap.js); `fetch` and `crypto` go through the guard. */
export const webGlobals = {
  Headers, Request, Response, FormData, EventSource, Blob, File, FileReader, CompressionStream, DecompressionStream,
  TextDecoderStream, TextEncoderStream, ByteLengthQueuingStrategy, CountQueuingStrategy, ReadableByteStreamController,
  ReadableStream, ReadableStreamBYOBReader, ReadableStreamBYOBRequest, ReadableStreamDefaultController,
  ReadableStreamDefaultReader, TransformStream, TransformStreamDefaultController, WritableStream,
  WritableStreamDefaultController, WritableStreamDefaultWriter, Crypto, CryptoKey, SubtleCrypto,
};

/** deno's fetch, with a permission denial said as the sandbox's sentence. */
function fetch(input, init) {
  return denoFetch(input, init).catch((e) => {
    throw explainDenied(e);
  });
}

export { crypto, fetch };
