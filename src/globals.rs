//! Every piece of state that is not owned by a value passed around, and why.
//! Per-isolate state is not here: it lives in the isolate's `OpState` (see
//! the table in src/bridge/mod.rs).
//!
//! | state | where | why it is global |
//! |---|---|---|
//! | the host: isolate, its callbacks, op state handle, event-loop waker | `host::CURRENT` (thread-local) | duroxide's handlers must be `Send` and are polled with a no-op waker, so they cannot carry the isolate; they reach it through the thread they run on, which owns it |
//! | V8's platform | `deno_core::JsRuntime::init_platform` in `main` | V8 allows one per process, set before any isolate (CPUs with memory protection keys crash otherwise) |
//! | V8's flags | `host::set_v8_flags` in `main` | V8 reads them once, before its platform starts, and freezes them |
//! | the log subscriber and its reload handles, the quiet-failures flag | `logging::HANDLES`, `logging::QUIET_APP_FAILURES` | `tracing` has one global subscriber; scripts reconfigure it at run time |
//! | the number of the next in-memory SQLite database | `engine::store::MEMORY_DATABASES` | SQLite's shared-cache names are per process |
//! | the SQLite files our store has open | `engine::store::sqlite_store::open_files::OPEN` | POSIX locks are per process: a second store on an open file must not open and close it with plain file calls |
//! | the TypeScript cache's directory | `host::modules::transpile_cache::PROCESS_CACHE`, set once by `cli::run` | it is read where files are loaded (module loader, `require`, main-file detection), which share nothing else; the directory itself is shared by every process |
//! | knobs from the environment | read once by `settings::from_env` in `cli::run`, then passed down | the environment is process-wide; reading it deep inside hid bad values |
