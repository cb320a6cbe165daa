//! `duroxide run FILE`: boot the isolate, evaluate the file as CommonJS or as
//! an ES module, and drive the event loop until the script is done.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use deno_core::{JsRuntime, ModuleSpecifier, PollEventLoopOptions, RuntimeOptions};

use super::js_error::format_core_error;
use super::loader::UserModuleLoader;
use super::{call_hook, Arg};
use crate::engine::runtimes;
pub use crate::failure::Failure;
use super::worker::ServePlan;
use crate::runtime_ext::{duroxide_ext, TimerPermissions, SCRIPT_ARGV};

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
    .map_err(|e| Failure::Failed(format!("cannot start the JavaScript engine: {}", format_core_error(&e))))
}

/// Runs `file` and returns the process exit code it asked for. A file that
/// exports workflows (see js/workflow_module.js) is served as a worker.
pub fn run(file: &Path, args: Vec<String>, plan: &ServePlan) -> Result<i32, Failure> {
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
        .map_err(|e| Failure::Failed(format!("cannot start the async runtime: {e}")))?;
    tokio.block_on(async {
        super::install(new_runtime()?);
        let code = async {
            evaluate(&path).await?;
            let workflows = call_hook(|h| &h.workflow_exports, &[])
                .map_err(|e| Failure::Usage(format!("{}: {}", path.display(), e.trim_start_matches("Uncaught "))))?;
            if !workflows.is_empty() {
                return super::worker::serve(&path, &workflows, plan).await;
            }
            if plan.job.is_some() {
                return Err(Failure::Usage(format!(
                    "{} exports no orchestrations or activities to run: export const orchestrations = {{ Name: function* (ctx, input) {{ ... }} }}",
                    path.display()
                )));
            }
            drive_to_idle().await?;
            let text = call_hook(|h| &h.read_exit_code, &[]).map_err(Failure::Failed)?;
            Ok(text.parse::<i32>().unwrap_or(0))
        }
        .await;
        for runtime in runtimes::take_all_running() {
            runtime.shutdown(Some(0)).await;
        }
        super::uninstall();
        code
    })
}

/// Runs the main file: CommonJS synchronously, an ES module until its
/// evaluation (top-level await included) has finished.
async fn evaluate(path: &Path) -> Result<(), Failure> {
    let esm_by_name = path.extension().is_some_and(|e| e == "mjs");
    let esm = esm_by_name || {
        let kind = call_hook(|h| &h.run_main_commonjs, &[Arg::Str(&path.display().to_string())])
            .map_err(Failure::Failed)?;
        kind == "esm"
    };
    if !esm {
        return Ok(());
    }
    let url = ModuleSpecifier::from_file_path(path)
        .map_err(|_| Failure::Usage(format!("cannot turn {} into a module URL", path.display())))?;
    let mut runtime = super::take().map_err(Failure::Failed)?;
    let loaded = runtime.load_main_es_module(&url).await.map(|id| (id, runtime.mod_evaluate(id)));
    super::install(runtime);
    let (id, evaluation) = loaded.map_err(|e| Failure::Failed(format_core_error(&e)))?;
    let evaluation = Box::pin(async move { evaluation.await.map_err(|e| Failure::Failed(format_core_error(&e))) });
    drive_with(evaluation, Some("the module's top-level await never finished: it waits for something nothing will deliver"))
        .await?;
    let namespace = super::with_runtime(|rt| rt.get_module_namespace(id))
        .map_err(Failure::Failed)?
        .map_err(|e| Failure::Failed(format_core_error(&e)))?;
    call_hook(|h| &h.set_main_namespace, &[Arg::Object(&namespace)]).map_err(Failure::Failed)?;
    Ok(())
}

/// Polls the event loop once; Err when it failed (an uncaught exception).
fn poll_loop(cx: &mut std::task::Context) -> Result<Poll<()>, Failure> {
    super::set_loop_waker(cx.waker());
    match super::with_runtime(|rt| rt.poll_event_loop(cx, PollEventLoopOptions::default())).map_err(Failure::Failed)? {
        Poll::Ready(Err(e)) => Err(Failure::Failed(format_core_error(&e))),
        Poll::Ready(Ok(())) => Ok(Poll::Ready(())),
        Poll::Pending => Ok(Poll::Pending),
    }
}

/// Drives the event loop until it is idle and no duroxide runtime is left running.
pub async fn drive_to_idle() -> Result<(), Failure> {
    std::future::poll_fn(|cx| match poll_loop(cx) {
        Err(e) => Poll::Ready(Err(e)),
        Ok(Poll::Ready(())) if runtimes::active_count() == 0 => Poll::Ready(Ok(())),
        Ok(_) => Poll::Pending,
    })
    .await
}

/// Drives the event loop (with short borrows, so duroxide's tasks can enter
/// the isolate in between) until `until` completes. With `stuck`, an idle loop
/// and no running runtime while `until` is pending is that error.
pub async fn drive_with<T>(
    mut until: Pin<Box<dyn Future<Output = Result<T, Failure>> + '_>>,
    stuck: Option<&str>,
) -> Result<T, Failure> {
    std::future::poll_fn(|cx| {
        let polled = match poll_loop(cx) {
            Ok(p) => p,
            Err(e) => return Poll::Ready(Err(e)),
        };
        if let Poll::Ready(result) = until.as_mut().poll(cx) {
            return Poll::Ready(result);
        }
        match stuck {
            Some(message) if polled.is_ready() && runtimes::active_count() == 0 => {
                Poll::Ready(Err(Failure::Failed(message.to_string())))
            }
            _ => Poll::Pending,
        }
    })
    .await
}
