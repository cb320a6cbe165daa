//! The JS functions the bootstrap hands the host, one named method each.
//! Arguments and results are strings, numbers and objects: what the
//! functions mean to duroxide is the bridge's business, not the host's.

use deno_core::{v8, JsRuntime};

use super::js_error::{describe_exception, first_user_frame};
use super::watchdog::{BlockReport, Owner};
use super::{tell_stop_listener, wake_loop, Host};

/// Where runtime_ext/bootstrap.js leaves the callbacks; deleted once read.
const GLOBAL_NAME: &str = "__duroxideHostCallbacks";

pub struct Callbacks {
    create_generator: v8::Global<v8::Function>,
    step_generator: v8::Global<v8::Function>,
    after_stop: v8::Global<v8::Function>,
    run_activity: v8::Global<v8::Function>,
    run_main_commonjs: v8::Global<v8::Function>,
    read_exit_code: v8::Global<v8::Function>,
    set_main_namespace: v8::Global<v8::Function>,
    workflow_exports: v8::Global<v8::Function>,
    serve_workflows: v8::Global<v8::Function>,
}

impl Callbacks {
    pub(super) fn take_from_global(runtime: &mut JsRuntime) -> Result<Callbacks, String> {
        let context = runtime.main_context();
        let scope = &mut runtime.handle_scope();
        let global = v8::Local::new(scope, context).global(scope);
        let key = v8::String::new(scope, GLOBAL_NAME).ok_or("bad callback name")?;
        let table = global
            .get(scope, key.into())
            .and_then(|v| v8::Local::<v8::Object>::try_from(v).ok())
            .ok_or_else(|| format!("internal error: the bootstrap left no {GLOBAL_NAME}"))?;
        global.delete(scope, key.into());
        let mut get = |name: &str| -> Result<v8::Global<v8::Function>, String> {
            let key = v8::String::new(scope, name).ok_or("bad callback name")?;
            let value = table.get(scope, key.into()).ok_or_else(|| format!("missing callback {name}"))?;
            let function = v8::Local::<v8::Function>::try_from(value).map_err(|_| format!("callback {name} is not a function"))?;
            Ok(v8::Global::new(scope, function))
        };
        Ok(Callbacks {
            create_generator: get("createGenerator")?,
            step_generator: get("stepGenerator")?,
            after_stop: get("afterStop")?,
            run_activity: get("runActivity")?,
            run_main_commonjs: get("runMainCommonJs")?,
            read_exit_code: get("readExitCode")?,
            set_main_namespace: get("setMainNamespace")?,
            workflow_exports: get("workflowExports")?,
            serve_workflows: get("serveWorkflows")?,
        })
    }
}

/// One argument of a callback.
enum Arg<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Object(&'a v8::Global<v8::Object>),
    Function(&'a v8::Global<v8::Function>),
}

/// Why a call into JavaScript did not return normally.
#[derive(Debug)]
pub enum CallError {
    /// It threw (or the engine refused it); the text says what.
    Threw(String),
    /// The watchdog stopped it.
    Stopped(BlockReport),
}

impl CallError {
    /// The failure of `what` (e.g. "orchestration 'Nightly'") as one sentence.
    pub fn of(self, what: &str) -> String {
        match self {
            CallError::Threw(text) => text,
            CallError::Stopped(report) => format!("{what} {}", report.describe()),
        }
    }
}

impl From<CallError> for String {
    fn from(error: CallError) -> String {
        error.of("the script")
    }
}

/// What a callback returned: text, a function, or nothing of use.
enum Returned {
    Text(String),
    Function(v8::Global<v8::Function>),
    Nothing,
}

fn text(returned: Returned) -> String {
    match returned {
        Returned::Text(text) => text,
        _ => String::new(),
    }
}

impl Host {
    /// Calls `function` for `owner` with `args` synchronously; a throw becomes
    /// Err with the exception's text. Promise jobs the call queued run before
    /// it returns.
    fn call(&mut self, owner: Owner, pick: fn(&Callbacks) -> &v8::Global<v8::Function>, args: &[Arg]) -> Result<Returned, CallError> {
        let function = pick(&self.callbacks).clone();
        self.watchdog.enter(owner);
        let result = (|| {
            let scope = &mut self.runtime.handle_scope();
            let function = v8::Local::new(scope, function);
            let mut values: Vec<v8::Local<v8::Value>> = Vec::with_capacity(args.len());
            for arg in args {
                values.push(match arg {
                    Arg::Str(s) => v8::String::new(scope, s).ok_or("string too long for the JavaScript engine")?.into(),
                    Arg::Num(n) => v8::Number::new(scope, *n).into(),
                    Arg::Bool(b) => v8::Boolean::new(scope, *b).into(),
                    Arg::Object(o) => v8::Local::new(scope, *o).into(),
                    Arg::Function(f) => v8::Local::new(scope, *f).into(),
                });
            }
            let scope = &mut v8::TryCatch::new(scope);
            let receiver = v8::undefined(scope).into();
            let result = match function.call(scope, receiver, &values) {
                Some(v) if v.is_string() => Ok(Returned::Text(v.to_rust_string_lossy(scope))),
                Some(v) if v.is_function() => Ok(v8::Local::<v8::Function>::try_from(v)
                    .map(|f| Returned::Function(v8::Global::new(scope, f)))
                    .unwrap_or(Returned::Nothing)),
                Some(_) => Ok(Returned::Nothing),
                None if scope.has_terminated() => Err("the call was stopped".to_string()),
                None => Err(describe_exception(scope)),
            };
            scope.perform_microtask_checkpoint();
            result
        })();
        self.end_stretch(owner, result)
    }

    /// After JavaScript ran for `owner`: lets the isolate run again if the
    /// watchdog stopped it, and says whose failure that is.
    fn end_stretch<T>(&mut self, owner: Owner, result: Result<T, String>) -> Result<T, CallError> {
        self.runtime.v8_isolate().cancel_terminate_execution();
        self.watchdog.leave();
        wake_loop();
        let Some(report) = self.stopped() else { return result.map_err(CallError::Threw) };
        self.after_stop();
        if report.owner != owner && tell_stop_listener(&report) {
            return result.map_err(CallError::Threw);
        }
        Err(CallError::Stopped(report))
    }

    /// Restores what the `finally` blocks of a stopped stretch would have.
    pub(super) fn after_stop(&mut self) {
        let function = self.callbacks.after_stop.clone();
        let scope = &mut self.runtime.handle_scope();
        let function = v8::Local::new(scope, function);
        let receiver = v8::undefined(scope).into();
        let scope = &mut v8::TryCatch::new(scope);
        if function.call(scope, receiver, &[]).is_none() {
            tracing::error!("internal error: restoring state after a stopped stretch failed: {}", describe_exception(scope));
        }
    }

    /// A new object, for the driver to keep a generator's state in.
    fn new_object(&mut self) -> v8::Global<v8::Object> {
        let scope = &mut self.runtime.handle_scope();
        let object = v8::Object::new(scope);
        v8::Global::new(scope, object)
    }

    /// Starts a generator of `function` and runs it to its first yield;
    /// returns the generator's holder and the step's JSON.
    pub fn create_generator(
        &mut self,
        function: &v8::Global<v8::Function>,
        info: &str,
        input: &str,
    ) -> Result<(v8::Global<v8::Object>, String), CallError> {
        let holder = self.new_object();
        let step = self.call(
            Owner::Orchestration,
            |c| &c.create_generator,
            &[Arg::Object(&holder), Arg::Function(function), Arg::Str(info), Arg::Str(input)],
        )?;
        Ok((holder, text(step)))
    }

    /// Resumes the generator with a task's outcome; returns the step's JSON.
    pub fn step_generator(&mut self, holder: &v8::Global<v8::Object>, is_error: bool, payload: &str) -> Result<String, CallError> {
        let step =
            self.call(Owner::Orchestration, |c| &c.step_generator, &[Arg::Object(holder), Arg::Bool(is_error), Arg::Str(payload)])?;
        Ok(text(step))
    }

    /// `path:line:column` of the generator's latest yield, if it yielded:
    /// the first frame outside the binary's own JS in the stack trace V8
    /// captured when the yielded task was made (`holder.site`, an Error).
    /// Read here without running JS or formatting the whole stack.
    pub fn yield_site(&mut self, holder: &v8::Global<v8::Object>) -> Option<String> {
        let scope = &mut self.runtime.handle_scope();
        let holder = v8::Local::new(scope, holder);
        let key = v8::String::new(scope, "site")?;
        let site = holder.get(scope, key.into()).filter(|v| v.is_object())?;
        let trace = v8::Exception::get_stack_trace(scope, site)?;
        first_user_frame(scope, trace)
    }

    /// Starts an activity function; it reports its end through an op, under
    /// `call`. Returns the function that aborts its `ctx.signal`.
    pub fn run_activity(
        &mut self,
        function: &v8::Global<v8::Function>,
        info: &str,
        input: &str,
        call: u32,
    ) -> Result<Option<v8::Global<v8::Function>>, CallError> {
        let returned = self.call(
            Owner::Activity(call),
            |c| &c.run_activity,
            &[Arg::Function(function), Arg::Str(info), Arg::Str(input), Arg::Num(call as f64)],
        )?;
        Ok(match returned {
            Returned::Function(abort) => Some(abort),
            _ => None,
        })
    }

    /// Calls a function an earlier callback returned, with a reason (e.g. an activity's abort).
    pub fn call_with_reason(&mut self, function: &v8::Global<v8::Function>, reason: &str) -> Result<(), CallError> {
        let function = function.clone();
        self.watchdog.enter(Owner::Unknown);
        let result = (|| {
            let scope = &mut self.runtime.handle_scope();
            let function = v8::Local::new(scope, function);
            let reason = v8::String::new(scope, reason).ok_or("reason too long")?;
            let scope = &mut v8::TryCatch::new(scope);
            let receiver = v8::undefined(scope).into();
            let result = match function.call(scope, receiver, &[reason.into()]) {
                Some(_) => Ok(()),
                None if scope.has_terminated() => Err("the call was stopped".to_string()),
                None => Err(describe_exception(scope)),
            };
            scope.perform_microtask_checkpoint();
            result
        })();
        self.end_stretch(Owner::Unknown, result)
    }

    /// Runs the main file as CommonJS: "cjs", or "esm" (nothing run) when it only parses as an ES module.
    pub fn run_main_commonjs(&mut self, path: &str) -> Result<String, String> {
        Ok(self.call(Owner::Unknown, |c| &c.run_main_commonjs, &[Arg::Str(path)]).map(text)?)
    }

    /// The exit code the script asked for with `process.exitCode`.
    pub fn read_exit_code(&mut self) -> Result<i32, String> {
        Ok(text(self.call(Owner::Unknown, |c| &c.read_exit_code, &[])?).parse().unwrap_or(0))
    }

    pub(super) fn set_main_namespace(&mut self, namespace: &v8::Global<v8::Object>) -> Result<(), String> {
        Ok(self.call(Owner::Unknown, |c| &c.set_main_namespace, &[Arg::Object(namespace)]).map(|_| ())?)
    }

    /// JSON `{orchestrations: {name: [versions]}, activities: [names]}` when
    /// the main file exports workflows, "" otherwise.
    pub fn workflow_exports(&mut self) -> Result<String, String> {
        Ok(self.call(Owner::Unknown, |c| &c.workflow_exports, &[]).map(text)?)
    }

    /// Registers the main file's exports on a new runtime of the store
    /// resource `store`; returns the runtime's resource id.
    pub fn serve_workflows(&mut self, store: u32, options_json: &str) -> Result<u32, String> {
        let id = text(self.call(Owner::Unknown, |c| &c.serve_workflows, &[Arg::Num(store as f64), Arg::Str(options_json)])?);
        id.parse().map_err(|_| format!("internal error: serveWorkflows returned '{id}'"))
    }
}
