//! The deno_core extensions: one per concern, its ops in a file beside the
//! JS that calls them (runtime_ext/*.js); JS that calls no op of ours is in
//! js/. bootstrap.js, last, installs the globals and hands the host its callbacks.

mod activity;
mod client;
mod crypto;
mod modules;
mod orchestration;
mod process;
mod runtime;
mod stores;

use deno_core::Extension;
use deno_error::JsErrorBox;

use crate::bridge;

/// Bare module names and the extension modules that serve them, for both
/// `require` and `import` (see host::modules).
pub const BUILTIN_MODULES: &[(&str, &str)] = &[("duroxide", SDK_MODULE), ("duroxide-node", SDK_MODULE)];

const SDK_MODULE: &str = "ext:duroxide/duroxide.js";

/// What an isolate is started with.
pub struct Startup {
    /// `process.argv`: like Node, `[binary, script, ...args]`.
    pub argv: Vec<String>,
    pub bridge: bridge::Settings,
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
    deps = [deno_webidl, deno_console, deno_url, deno_web],
    esm_entry_point = "ext:duroxide/bootstrap.js",
    esm = [
        "ext:duroxide/bootstrap.js" = "runtime_ext/bootstrap.js",
        "ext:duroxide/json.js" = "js/json.js",
        "ext:duroxide/guard.js" = "js/guard.js",
        "ext:duroxide/sdk.js" = "js/sdk.js",
        "ext:duroxide/duroxide.js" = "js/duroxide.js",
        "ext:duroxide/workflow_module.js" = "js/workflow_module.js",
    ],
    options = { bridge: bridge::Settings },
    state = |state, options| {
        state.put(TimerPermissions);
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
        process::duroxide_process::init_ops_and_esm(startup.argv),
        crypto::duroxide_crypto::init_ops_and_esm(),
        modules::duroxide_modules::init_ops_and_esm(),
        stores::duroxide_stores::init_ops_and_esm(),
        client::duroxide_client::init_ops_and_esm(),
        orchestration::duroxide_orchestration::init_ops_and_esm(),
        activity::duroxide_activity::init_ops_and_esm(),
        runtime::duroxide_runtime::init_ops_and_esm(),
        duroxide_sdk::init_ops_and_esm(startup.bridge),
    ]
}

fn err(message: impl Into<String>) -> JsErrorBox {
    JsErrorBox::generic(message.into())
}

fn type_err(message: impl Into<String>) -> JsErrorBox {
    JsErrorBox::type_error(message.into())
}
