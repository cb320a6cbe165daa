//! The deno_core extensions: one per concern, its ops in a file beside the
//! JS that calls them (runtime_ext/*.js); JS that calls no op of ours is in
//! js/. bootstrap.js, last, installs the globals and hands the host its callbacks.

mod activity;
mod client;
mod modules;
mod node;
mod orchestration;
pub mod permissions;
mod process;
mod runtime;
mod stores;
mod web;

use std::rc::Rc;

use deno_core::Extension;
use deno_error::JsErrorBox;
use deno_permissions::PermissionsContainer;

use crate::bridge;
use permissions::PermissionSets;

/// Bare module names and the extension modules that serve them, for both
/// `require` and `import` (see host::modules; `node:NAME` finds NAME here).
pub const BUILTIN_MODULES: &[(&str, &str)] = &[
    ("duroxide", SDK_MODULE),
    ("duroxide-node", SDK_MODULE),
    ("duroxide/test", "ext:duroxide/test.js"),
    ("duroxide/testing", "ext:duroxide/testing.js"),
    // Only with its prefix, as in Node (a bare `test` is an npm package's name).
    ("node:test", "ext:duroxide/test.js"),
    ("assert", "ext:duroxide/node/assert.js"),
    ("assert/strict", "ext:duroxide/node/assert_strict.js"),
    ("buffer", "ext:duroxide/node/buffer.js"),
    ("child_process", "ext:duroxide/node/child_process.js"),
    ("crypto", "ext:duroxide/node/crypto.js"),
    ("events", "ext:duroxide/node/events.js"),
    ("fs", "ext:duroxide/node/fs.js"),
    ("fs/promises", "ext:duroxide/node/fs_promises.js"),
    ("os", "ext:duroxide/node/os.js"),
    ("path", "ext:duroxide/node/path.js"),
    ("path/posix", "ext:duroxide/node/path.js"),
    ("process", "ext:duroxide/node/process.js"),
    ("querystring", "ext:duroxide/node/querystring.js"),
    ("stream", "ext:duroxide/node/stream.js"),
    ("stream/promises", "ext:duroxide/node/stream_promises.js"),
    ("string_decoder", "ext:duroxide/node/string_decoder.js"),
    ("timers", "ext:duroxide/node/timers.js"),
    ("timers/promises", "ext:duroxide/node/timers_promises.js"),
    ("url", "ext:duroxide/node/url.js"),
    ("util", "ext:duroxide/node/util.js"),
    ("util/types", "ext:duroxide/node/util_types.js"),
];

const SDK_MODULE: &str = "ext:duroxide/duroxide.js";

/// What an isolate is started with.
pub struct Startup {
    /// `process.argv`: like Node, `[binary, script, ...args]`.
    pub argv: Vec<String>,
    pub bridge: bridge::Settings,
    pub permissions: PermissionSets,
}

/// Granted to deno_web for `performance.now()` precision.
pub struct TimerPermissions;

impl deno_web::TimersPermission for TimerPermissions {
    fn allow_hrtime(&mut self) -> bool {
        true
    }
}

deno_core::extension!(
    duroxide_sdk,
    deps = [deno_webidl, deno_console, deno_url, deno_web, duroxide_web],
    esm_entry_point = "ext:duroxide/bootstrap.js",
    esm = [
        "ext:duroxide/bootstrap.js" = "runtime_ext/bootstrap.js",
        "ext:duroxide/json.js" = "js/json.js",
        "ext:duroxide/guard.js" = "js/guard.js",
        "ext:duroxide/stacks.js" = "js/stacks.js",
        "ext:duroxide/sdk.js" = "js/sdk.js",
        "ext:duroxide/duroxide.js" = "js/duroxide.js",
        "ext:duroxide/workflow_module.js" = "js/workflow_module.js",
    ],
    options = { bridge: bridge::Settings, permissions: PermissionSets },
    state = |state, options| {
        state.put(TimerPermissions);
        state.put(options.permissions.work.clone());
        state.put(options.permissions);
        bridge::install(state, &options.bridge);
    },
);

/// Every extension an isolate needs, deno's first.
pub fn extensions(startup: Startup) -> Vec<Extension> {
    vec![
        deno_webidl::deno_webidl::init_ops_and_esm(),
        deno_console::deno_console::init_ops_and_esm(),
        deno_url::deno_url::init_ops_and_esm(),
        deno_web::deno_web::init_ops_and_esm::<TimerPermissions>(Default::default(), None),
        // deno_io first of what adds resources: it asserts stdin/stdout/stderr get ids 0, 1, 2.
        deno_io::deno_io::init_ops_and_esm(Some(deno_io::Stdio::default())),
        deno_tls::deno_tls::init_ops_and_esm(),
        deno_net::deno_net::init_ops_and_esm::<PermissionsContainer>(None, None),
        deno_fetch::deno_fetch::init_ops_and_esm::<PermissionsContainer>(deno_fetch::Options {
            user_agent: format!("duroxide/{}", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        }),
        deno_fs::deno_fs::init_ops_and_esm::<PermissionsContainer>(Rc::new(deno_fs::RealFs)),
        deno_crypto::deno_crypto::init_ops_and_esm(None),
        deno_process::deno_process::init_ops_and_esm(None),
        web::duroxide_web::init_ops_and_esm(),
        node::duroxide_node::init_ops_and_esm(),
        process::duroxide_process::init_ops_and_esm(startup.argv),
        modules::duroxide_modules::init_ops_and_esm(),
        stores::duroxide_stores::init_ops_and_esm(),
        client::duroxide_client::init_ops_and_esm(),
        orchestration::duroxide_orchestration::init_ops_and_esm(),
        activity::duroxide_activity::init_ops_and_esm(),
        runtime::duroxide_runtime::init_ops_and_esm(),
        duroxide_sdk::init_ops_and_esm(startup.bridge, startup.permissions),
    ]
}

fn err(message: impl Into<String>) -> JsErrorBox {
    JsErrorBox::generic(message.into())
}

fn type_err(message: impl Into<String>) -> JsErrorBox {
    JsErrorBox::type_error(message.into())
}
