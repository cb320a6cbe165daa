//! `duroxide run FILE`: boot the isolate, evaluate the file as CommonJS or as
//! an ES module, and drive the event loop until the script is done.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use deno_core::error::CoreError;
use deno_core::{JsRuntime, ModuleSpecifier, PollEventLoopOptions, RuntimeOptions};

use super::js_error::format_core_error;
use super::loader::UserModuleLoader;
use super::{call_hook, Arg};
use crate::engine::runtimes;
use crate::runtime_ext::{duroxide_ext, TimerPermissions, SCRIPT_ARGV};

/// Why a run ended badly, and so which exit code it gets.
#[derive(Debug)]
pub enum Failure {
    /// Bad input from the command line (exit 2).
    Usage(String),
    /// The script or a workflow failed (exit 1).
    Script(String),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Script(_) => 1,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Script(m) => m,
        }
    }
}

pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    joined.canonicalize().unwrap_or(joined)
}

/// Node-style resolution of `require(specifier)` for local files.
pub fn resolve_require(specifier: &str, from_file: &Path) -> Result<PathBuf, String> {
    let from = from_file.display();
    let is_path = specifier.starts_with("./") || specifier.starts_with("../") || specifier.starts_with('/');
    if !is_path {
        return Err(format!(
            "Cannot find module '{specifier}' (required from {from}): duroxide provides the 'duroxide' module and files given by relative or absolute paths"
        ));
    }
    let base = from_file.parent().unwrap_or(Path::new("/")).join(specifier);
    let candidates = [
        base.clone(),
        PathBuf::from(format!("{}.js", base.display())),
        PathBuf::from(format!("{}.cjs", base.display())),
        PathBuf::from(format!("{}.json", base.display())),
        base.join("index.js"),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .map(|p| absolute(p))
        .ok_or_else(|| format!("Cannot find module '{specifier}' (required from {from}): no file {}", base.display()))
}

fn new_runtime() -> Result<JsRuntime, Failure> {
    JsRuntime::try_new(RuntimeOptions {
        module_loader: Some(Rc::new(UserModuleLoader)),
        extensions: vec![
            deno_webidl::deno_webidl::init_ops_and_esm(),
            deno_console::deno_console::init_ops_and_esm(),
            deno_url::deno_url::init_ops_and_esm(),
            deno_web::deno_web::init_ops_and_esm::<TimerPermissions>(Default::default(), None),
            duroxide_ext::init_ops_and_esm(),
        ],
        ..Default::default()
    })
    .map_err(|e| Failure::Script(format!("cannot start the JavaScript engine: {}", format_core_error(&e))))
}

/// Runs `file` and returns the process exit code it asked for.
pub fn run(file: &Path, args: Vec<String>) -> Result<i32, Failure> {
    let metadata = std::fs::metadata(file).map_err(|e| Failure::Usage(format!("cannot run {}: {e}", file.display())))?;
    if metadata.is_dir() {
        return Err(Failure::Usage(format!("cannot run {}: it is a directory, not a JavaScript file", file.display())));
    }
    let path = absolute(file);
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "duroxide".into());
    let mut argv = vec![exe, path.display().to_string()];
    argv.extend(args);
    let _ = SCRIPT_ARGV.set(argv);

    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Script(format!("cannot start the async runtime: {e}")))?;
    tokio.block_on(async {
        super::install(new_runtime()?);
        let outcome = evaluate(&path).await;
        let code = outcome.and_then(|()| {
            let text = call_hook(|h| &h.read_exit_code, &[]).map_err(Failure::Script)?;
            Ok(text.parse::<i32>().unwrap_or(0))
        });
        for runtime in runtimes::take_all_running() {
            runtime.shutdown(Some(0)).await;
        }
        super::uninstall();
        code
    })
}

async fn evaluate(path: &Path) -> Result<(), Failure> {
    let esm_by_name = path.extension().is_some_and(|e| e == "mjs");
    let esm = esm_by_name || {
        let kind = call_hook(|h| &h.run_main_commonjs, &[Arg::Str(&path.display().to_string())])
            .map_err(Failure::Script)?;
        kind == "esm"
    };
    if !esm {
        return drive(None).await;
    }
    let url = ModuleSpecifier::from_file_path(path)
        .map_err(|_| Failure::Usage(format!("cannot turn {} into a module URL", path.display())))?;
    let mut runtime = super::take().map_err(Failure::Script)?;
    let loaded = runtime.load_main_es_module(&url).await;
    let evaluation = loaded.map(|id| runtime.mod_evaluate(id));
    super::install(runtime);
    let evaluation = evaluation.map_err(|e| Failure::Script(format_core_error(&e)))?;
    drive(Some(Box::pin(evaluation))).await
}

type Evaluation = Pin<Box<dyn Future<Output = Result<(), CoreError>>>>;

/// Polls the event loop with short borrows until it is idle, the module (if
/// any) is evaluated, and no duroxide runtime is left running.
async fn drive(mut evaluation: Option<Evaluation>) -> Result<(), Failure> {
    std::future::poll_fn(|cx| {
        super::set_loop_waker(cx.waker());
        let polled = match super::with_runtime(|rt| rt.poll_event_loop(cx, PollEventLoopOptions::default())) {
            Ok(p) => p,
            Err(e) => return Poll::Ready(Err(Failure::Script(e))),
        };
        if let Poll::Ready(Err(e)) = &polled {
            return Poll::Ready(Err(Failure::Script(format_core_error(e))));
        }
        if let Some(eval) = evaluation.as_mut() {
            match eval.as_mut().poll(cx) {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Failure::Script(format_core_error(&e)))),
                Poll::Ready(Ok(())) => evaluation = None,
                Poll::Pending => {}
            }
        }
        if polled.is_ready() && runtimes::active_count() == 0 {
            if evaluation.is_some() {
                return Poll::Ready(Err(Failure::Script(
                    "the module's top-level await never finished: it waits for something nothing will deliver".into(),
                )));
            }
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    })
    .await
}
