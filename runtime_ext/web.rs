//! The web platform of deno's extension crates as user code sees it
//! (web.js): fetch and its classes, streams, Blob, WebCrypto, and the error
//! classes their ops reject with. No ops of its own.

deno_core::extension!(
    duroxide_web,
    deps = [deno_webidl, deno_web, deno_fetch, deno_crypto, deno_fs, deno_io, deno_process],
    esm = [
        "ext:deno_telemetry/telemetry.ts" = "runtime_ext/telemetry_stub.js",
        "ext:deno_telemetry/util.ts" = "runtime_ext/telemetry_stub.js",
        "ext:duroxide/web.js" = "runtime_ext/web.js",
    ],
);
