//! `duroxide run FILE`: a script, a worker for a workflow module, or one job.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use serde_json::{json, Map, Value};

use super::args::{json_arg, parse_duration, StoreArgs};
use super::serve::{self, Exports, Job, ServePlan};
use crate::bridge::{activity, runtimes};
use crate::engine::client::{check_id, check_name};
use crate::failure::Failure;
use crate::host::{self, event_loop, modules::absolute, BootOptions};
use crate::runtime_ext::permissions::{Grants, PermissionSets};
use crate::runtime_ext::{self, Startup};

#[derive(Args)]
#[command(after_help = "\
Examples:
  duroxide run app.js                       an SDK script (builds its own provider and runtime)
  duroxide run workflows.js                 serve a workflow module until Ctrl-C
  duroxide run workflows.js --store postgres://app:pw@db/app --worker-concurrency 16
  duroxide run job.js --start Nightly --input '{\"day\":\"2026-11-26\"}' --id nightly-1126
  duroxide run app.js -- --verbose          arguments for the script (process.argv)
  duroxide run etl.js --sandbox --allow-read=./in --allow-write=./out --allow-net=api.example.com
  duroxide run --ui workflows.js            a worker with the dashboard on http://127.0.0.1:8233/

A workflow module exports its work instead of creating a runtime:
  export const activities = { Greet: async (ctx, name) => `Hello, ${name}!` };
  export const orchestrations = { Hello: function* (ctx, name) { return yield ctx.scheduleActivity('Greet', name); } };")]
pub struct RunArgs {
    /// JavaScript file: a script, or a module exporting `activities` and `orchestrations`
    pub file: PathBuf,
    /// Start (or attach to) an instance of this orchestration, serve until it ends, print its output
    #[arg(long, value_name = "NAME")]
    pub start: Option<String>,
    /// Input of the started instance, as JSON
    #[arg(long, value_name = "JSON", requires = "start")]
    pub input: Option<String>,
    /// Instance id for --start; rerunning with the same id resumes it (default: generated)
    #[arg(long, value_name = "ID", requires = "start")]
    pub id: Option<String>,
    /// Give up waiting after this long (e.g. 30s, 10m); the instance keeps its state
    #[arg(long, value_name = "DURATION", requires = "start", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// With --start: print the final status as JSON
    #[arg(long, requires = "start")]
    pub json: bool,
    /// Serve the dashboard and HTTP API beside the worker: --ui, or --ui=ADDR (default 127.0.0.1:8233)
    #[arg(long, value_name = "ADDR", num_args = 0..=1, require_equals = true, default_missing_value = crate::web::DEFAULT_LISTEN)]
    pub ui: Option<String>,
    #[command(flatten)]
    pub ui_token: super::ui::TokenArg,
    #[command(flatten)]
    pub runtime: RuntimeFlags,
    #[command(flatten)]
    pub limits: LimitFlags,
    #[command(flatten)]
    pub permissions: PermissionFlags,
    /// Arguments for the script (process.argv[2..])
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Args)]
#[command(next_help_heading = "Worker options (workflow modules)")]
pub struct RuntimeFlags {
    /// Orchestration dispatchers (0 = activities only)
    #[arg(long, value_name = "N")]
    pub orchestration_concurrency: Option<u32>,
    /// Activity dispatchers
    #[arg(long, value_name = "N")]
    pub worker_concurrency: Option<u32>,
    /// Idle poll interval of the dispatchers
    #[arg(long, value_name = "MS")]
    pub poll_interval_ms: Option<u32>,
    /// Activity lock; a crashed worker's activities are retried after it
    #[arg(long, value_name = "MS")]
    pub worker_lock_timeout_ms: Option<u32>,
    /// Stable identity of this worker (for sessions and logs)
    #[arg(long, value_name = "ID")]
    pub worker_node_id: Option<String>,
    /// Which activity tags to run: default-only, any, none, TAG,TAG (only these) or default,TAG,...
    #[arg(long, value_name = "FILTER")]
    pub tags: Option<String>,
    /// How long a shutdown waits for in-flight work
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

#[derive(Args)]
#[command(next_help_heading = "Limits on user code")]
pub struct LimitFlags {
    /// Stop an orchestration step or activity whose JavaScript runs this long without yielding (it fails; the worker carries on)
    #[arg(long, value_name = "DURATION", env = "DUROXIDE_JS_BLOCK_LIMIT", default_value = "10s", value_parser = parse_limit)]
    pub js_block_limit: Duration,
    /// JavaScript heap limit; the step or activity that fills it fails (default: V8's, from the machine's memory)
    #[arg(long, value_name = "MB", env = "DUROXIDE_MAX_HEAP_MB", value_parser = clap::value_parser!(u32).range(16..))]
    pub max_heap_mb: Option<u32>,
    /// Fail an activity that has not settled after this long and abort its ctx.signal [default: 6h]
    #[arg(long, value_name = "DURATION", env = "DUROXIDE_ACTIVITY_TIMEOUT", value_parser = parse_limit)]
    pub activity_timeout: Option<Duration>,
    /// Log a warning naming an activity still running after this long [default: 5m]
    #[arg(long, value_name = "DURATION", env = "DUROXIDE_ACTIVITY_WARN_AFTER", value_parser = parse_limit)]
    pub activity_warn_after: Option<Duration>,
}

/// A limit must leave user code some time.
fn parse_limit(text: &str) -> Result<Duration, String> {
    let limit = parse_duration(text)?;
    if limit < Duration::from_millis(100) {
        return Err(format!("'{text}' is too short: at least 100ms"));
    }
    Ok(limit)
}

impl LimitFlags {
    pub fn activity_limits(&self) -> activity::Limits {
        let defaults = activity::Limits::default();
        activity::Limits {
            timeout: self.activity_timeout.unwrap_or(defaults.timeout),
            warn_after: self.activity_warn_after.unwrap_or(defaults.warn_after),
        }
    }

    pub fn limits(&self) -> host::Limits {
        host::Limits { js_block: self.js_block_limit, max_heap_mb: self.max_heap_mb.map(|mb| mb as usize) }
    }
}

#[derive(Args)]
#[command(next_help_heading = "Permissions (everything is allowed unless --sandbox)")]
pub struct PermissionFlags {
    /// Deny all file, network, subprocess and environment access that an --allow-* flag does not grant
    #[arg(long, env = "DUROXIDE_SANDBOX", value_parser = clap::builder::BoolishValueParser::new(), num_args = 0, default_missing_value = "true", default_value = "false")]
    pub sandbox: bool,
    /// With --sandbox: reading files (all, or under these paths)
    #[arg(long, value_name = "PATHS", num_args = 0.., value_delimiter = ',', require_equals = true, requires = "sandbox")]
    pub allow_read: Option<Vec<String>>,
    /// With --sandbox: writing files (all, or under these paths)
    #[arg(long, value_name = "PATHS", num_args = 0.., value_delimiter = ',', require_equals = true, requires = "sandbox")]
    pub allow_write: Option<Vec<String>>,
    /// With --sandbox: network access (all, or these hosts, e.g. api.example.com,127.0.0.1:8080)
    #[arg(long, value_name = "HOSTS", num_args = 0.., value_delimiter = ',', require_equals = true, requires = "sandbox")]
    pub allow_net: Option<Vec<String>>,
    /// With --sandbox: running programs (all, or these, e.g. tar,/usr/bin/gzip)
    #[arg(long, value_name = "PROGRAMS", num_args = 0.., value_delimiter = ',', require_equals = true, requires = "sandbox")]
    pub allow_run: Option<Vec<String>>,
    /// With --sandbox: environment variables (all, or these names; NAME_* for a prefix)
    #[arg(long, value_name = "NAMES", num_args = 0.., value_delimiter = ',', require_equals = true, requires = "sandbox")]
    pub allow_env: Option<Vec<String>>,
}

impl PermissionFlags {
    pub fn grants(&self) -> Grants {
        Grants {
            sandbox: self.sandbox,
            read: self.allow_read.clone(),
            write: self.allow_write.clone(),
            net: self.allow_net.clone(),
            run: self.allow_run.clone(),
            env: self.allow_env.clone(),
        }
    }
}

/// `--tags` in the SDK's workerTagFilter form.
pub fn tag_filter(text: &str) -> Value {
    match text {
        "default-only" => json!("defaultOnly"),
        "any" => json!("any"),
        "none" => json!("none"),
        list => {
            let tags: Vec<&str> = list.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
            match tags.split_first() {
                Some((&"default", rest)) => json!({ "defaultAnd": rest }),
                _ => json!({ "tags": tags }),
            }
        }
    }
}

impl RuntimeFlags {
    pub fn options(&self) -> Value {
        let mut o = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                o.insert(k.into(), v);
            }
        };
        put("orchestrationConcurrency", self.orchestration_concurrency.map(Value::from));
        put("workerConcurrency", self.worker_concurrency.map(Value::from));
        put("dispatcherPollIntervalMs", self.poll_interval_ms.map(Value::from));
        put("workerLockTimeoutMs", self.worker_lock_timeout_ms.map(Value::from));
        put("workerNodeId", self.worker_node_id.clone().map(Value::from));
        put("workerTagFilter", self.tags.as_deref().map(tag_filter));
        Value::Object(o)
    }
}

pub fn run(args: RunArgs, store: &StoreArgs) -> Result<i32, Failure> {
    let mut bridge = crate::settings::from_env().map_err(Failure::Usage)?;
    crate::host::modules::transpile_cache::configure(crate::settings::typescript_cache_from_env());
    bridge.activity_limits = args.limits.activity_limits();
    bridge.sqlite_sync = store.sqlite_sync.durability();
    let permissions = PermissionSets::new(&args.permissions.grants()).map_err(Failure::Usage)?;
    let job = job_of(&args)?;
    let plan = ServePlan { store: store.clone(), options: args.runtime.options(), job, shutdown_grace: args.runtime.shutdown_grace };
    let path = main_file(&args.file, "run")?;
    if let Some(listen) = &args.ui {
        super::ui::beside_worker(listen, &args.ui_token, store)?;
    }
    let argv = argv_of(&path, &args.args);

    hosted(Startup { argv, bridge, permissions }, args.limits.limits(), run_main(&path, &args.args, &plan))
}

/// A file `verb` can load, as an absolute path.
pub fn main_file(file: &Path, verb: &str) -> Result<PathBuf, Failure> {
    let metadata = std::fs::metadata(file).map_err(|e| Failure::Usage(format!("cannot {verb} {}: {e}", file.display())))?;
    if metadata.is_dir() {
        return Err(Failure::Usage(format!("cannot {verb} {}: it is a directory, not a JavaScript file", file.display())));
    }
    Ok(absolute(file))
}

/// Boots the JavaScript host on this thread and runs `main` on it (`main`
/// starts only once the host is up); every runtime still running is shut
/// down afterwards.
pub fn hosted(
    startup: Startup,
    limits: host::Limits,
    main: impl std::future::Future<Output = Result<i32, Failure>>,
) -> Result<i32, Failure> {
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Failed(format!("cannot start the async runtime: {e}")))?;
    tokio.block_on(async {
        let extensions = runtime_ext::extensions(startup);
        host::boot(BootOptions { extensions, builtins: runtime_ext::BUILTIN_MODULES, limits }).map_err(Failure::Failed)?;
        let code = main.await;
        if let Ok(state) = host::op_state() {
            runtimes::shut_down_all(state, Some(0)).await;
        }
        host::shut_down();
        code
    })
}

/// The argv a main file sees: this binary, the file, its arguments.
pub fn argv_of(path: &Path, args: &[String]) -> Vec<String> {
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "duroxide".into());
    let mut argv = vec![exe, path.display().to_string()];
    argv.extend(args.iter().cloned());
    argv
}

/// The `--start` job, its name, id and input checked before any JavaScript runs.
fn job_of(args: &RunArgs) -> Result<Option<Job>, Failure> {
    let Some(name) = &args.start else { return Ok(None) };
    check_name(name).map_err(Failure::Usage)?;
    args.id.as_deref().map(check_id).transpose().map_err(Failure::Usage)?;
    Ok(Some(Job {
        name: name.clone(),
        input: json_arg("--input", args.input.as_deref())?,
        id: args.id.clone(),
        timeout: args.timeout,
        json: args.json,
    }))
}

/// A started runtime keeps the script alive.
fn keep_alive(state: &deno_core::OpState) -> bool {
    runtimes::any_active(state)
}

/// Evaluates the main file, then serves its exports, or runs it as a script
/// until its event loop is idle; returns the exit code.
async fn run_main(path: &Path, script_args: &[String], plan: &ServePlan) -> Result<i32, Failure> {
    let exports = evaluate_exports(path).await?;
    if !exports.is_empty() {
        if !script_args.is_empty() {
            return Err(module_arguments(&file_name(path), script_args));
        }
        return serve::serve(path, &Exports::parse(&exports), plan).await;
    }
    if plan.job.is_some() {
        return Err(Failure::Usage(format!(
            "{} exports no orchestrations or activities to run: export const orchestrations = {{ Name: function* (ctx, input) {{ ... }} }}",
            path.display()
        )));
    }
    event_loop::drive_to_idle(&keep_alive).await.map_err(Failure::Failed)?;
    host::with(|h| h.read_exit_code()).map_err(Failure::Failed)?.map_err(Failure::Failed)
}

/// Evaluates the main file; answers its workflow exports as JSON, or "" when it exports none.
pub async fn evaluate_exports(path: &Path) -> Result<String, Failure> {
    host::evaluate_main(path, &keep_alive).await.map_err(Failure::Failed)?;
    host::with(|h| h.workflow_exports())
        .map_err(Failure::Failed)?
        .map_err(|e| Failure::Usage(format!("{}: {}", path.display(), e.trim_start_matches("Uncaught "))))
}

/// The file's name, for messages.
fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

/// A workflow module takes no arguments: what follows its path was meant as
/// flags of `run` (clap hands everything after the file to the script), so
/// say which is not one, or where the valid ones go.
fn module_arguments(file: &str, script_args: &[String]) -> Failure {
    let given = script_args.join(" ");
    let lead = format!("{file} is a workflow module and takes no arguments (got '{given}')");
    if !script_args[0].starts_with('-') {
        return Failure::Usage(lead);
    }
    let mut words: Vec<String> = vec!["duroxide".into(), "run".into()];
    words.extend(script_args.iter().cloned());
    words.push(file.into());
    match <super::Cli as clap::CommandFactory>::command().try_get_matches_from(&words) {
        Ok(matches) => {
            let run = matches.subcommand_matches("run");
            let all_flags = run.is_some_and(|m| {
                m.get_one::<PathBuf>("file").is_some_and(|f| f.as_os_str() == file) && m.get_many::<String>("args").is_none()
            });
            if all_flags {
                Failure::Usage(format!("{lead}: flags of run go before the file: duroxide run {given} {file}"))
            } else {
                Failure::Usage(lead)
            }
        }
        Err(e) => {
            let bad = e.get(clap::error::ContextKind::InvalidArg).map(|a| a.to_string()).unwrap_or_else(|| script_args[0].clone());
            let tip = match e.get(clap::error::ContextKind::SuggestedArg) {
                Some(similar) => format!(" (did you mean {similar}?)"),
                None => String::new(),
            };
            Failure::Usage(format!("{lead}: {bad} is not a flag of run{tip}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tag_filter;
    use serde_json::json;

    #[test]
    fn tag_flags_map_to_sdk_filters() {
        assert_eq!(tag_filter("any"), json!("any"));
        assert_eq!(tag_filter("default-only"), json!("defaultOnly"));
        assert_eq!(tag_filter("gpu,video"), json!({"tags": ["gpu", "video"]}));
        assert_eq!(tag_filter("default,gpu"), json!({"defaultAnd": ["gpu"]}));
    }
}
