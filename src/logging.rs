//! Log output through `tracing`. `RUST_LOG` filters as in the SDK and always
//! wins. Without it, warnings and errors only, so a script's own output stays
//! readable; duroxide's two warnings about application failures (an activity
//! that threw, an orchestration that failed) are left out too, since the
//! script sees those through results and statuses. Scripts may change the
//! format, level and destination (`logFormat`/`logLevel` runtime options,
//! `initTracing`), so the layer sits behind a reload handle.

use std::fs::OpenOptions;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{EnvFilter, FilterFn};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::{Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, Layer, Registry};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Format {
    Full,
    Json,
    Pretty,
    Compact,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub format: Format,
    /// Level for `duroxide::orchestration` and `duroxide::activity` traces.
    pub level: Option<String>,
    pub file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { format: Format::Full, level: None, file: None }
    }
}

pub fn parse_format(name: &str) -> Result<Format, String> {
    match name {
        "json" => Ok(Format::Json),
        "pretty" => Ok(Format::Pretty),
        "compact" => Ok(Format::Compact),
        other => Err(format!("log format must be 'json', 'pretty' or 'compact', got '{other}'")),
    }
}

pub fn parse_level(name: &str) -> Result<String, String> {
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "trace" | "debug" | "info" | "warn" | "error" | "off" => Ok(lower),
        _ => Err(format!("log level must be one of trace, debug, info, warn, error, off; got '{name}'")),
    }
}

fn is_application_failure_report(meta: &Metadata) -> bool {
    *meta.level() == Level::WARN
        && meta.target() == "duroxide::runtime"
        && (meta.fields().field("outcome").is_some() || meta.fields().field("error_type").is_some())
}

/// Leave out application-failure reports (only in the default configuration).
static QUIET_APP_FAILURES: AtomicBool = AtomicBool::new(true);

/// While a replay check runs: duroxide's replay engine warns about what it
/// skips in history as if a live instance did it; a replay reports its own findings.
static QUIET_REPLAY_ENGINE: AtomicBool = AtomicBool::new(false);

/// Runs `f` (a replay check) without the replay engine's warnings.
pub fn without_replay_warnings<R>(f: impl FnOnce() -> R) -> R {
    QUIET_REPLAY_ENGINE.store(true, Ordering::Relaxed);
    let result = f();
    QUIET_REPLAY_ENGINE.store(false, Ordering::Relaxed);
    result
}

type Filtered = Layered<FilterFn<fn(&Metadata) -> bool>, Layered<reload::Layer<EnvFilter, Registry>, Registry>>;
type FormatLayer = Box<dyn Layer<Filtered> + Send + Sync>;

struct Handles {
    filter: reload::Handle<EnvFilter, Registry>,
    format: reload::Handle<FormatLayer, Filtered>,
}

static HANDLES: OnceLock<Handles> = OnceLock::new();

fn keep(meta: &Metadata) -> bool {
    if QUIET_REPLAY_ENGINE.load(Ordering::Relaxed) && meta.target() == "duroxide::runtime::replay_engine" {
        return false;
    }
    !QUIET_APP_FAILURES.load(Ordering::Relaxed) || !is_application_failure_report(meta)
}

fn env_filter(settings: &Settings) -> EnvFilter {
    match &settings.level {
        _ if std::env::var_os("RUST_LOG").is_some() => EnvFilter::from_default_env(),
        Some(level) => EnvFilter::new(format!("warn,duroxide::orchestration={level},duroxide::activity={level}")),
        None => EnvFilter::new("warn"),
    }
}

fn format_layer(settings: &Settings) -> Result<FormatLayer, String> {
    let (writer, ansi) = match &settings.file {
        Some(path) => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
            (BoxMakeWriter::new(Mutex::new(file)), false)
        }
        None => (BoxMakeWriter::new(std::io::stderr), std::io::stderr().is_terminal()),
    };
    let base = fmt::layer().with_writer(writer).with_ansi(ansi);
    Ok(match settings.format {
        Format::Full => base.boxed(),
        Format::Json => base.json().boxed(),
        Format::Pretty => base.pretty().boxed(),
        Format::Compact => base.compact().boxed(),
    })
}

/// Installs the default subscriber (before duroxide's runtime tries its own,
/// which then stands aside).
pub fn init() {
    let settings = Settings::default();
    QUIET_APP_FAILURES.store(std::env::var_os("RUST_LOG").is_none(), Ordering::Relaxed);
    let Ok(format) = format_layer(&settings) else { return };
    let (filter, filter_handle) = reload::Layer::new(env_filter(&settings));
    let (format, format_handle) = reload::Layer::new(format);
    let subscriber = tracing_subscriber::registry().with(filter).with(FilterFn::new(keep as fn(&Metadata) -> bool)).with(format);
    if subscriber.try_init().is_ok() {
        let _ = HANDLES.set(Handles { filter: filter_handle, format: format_handle });
    }
}

/// Replaces the log format, level and destination for the rest of the run.
pub fn configure(settings: &Settings) -> Result<(), String> {
    let format = format_layer(settings)?;
    let Some(handles) = HANDLES.get() else { return Ok(()) };
    QUIET_APP_FAILURES.store(std::env::var_os("RUST_LOG").is_none() && settings.level.is_none(), Ordering::Relaxed);
    handles.format.reload(format).map_err(|e| format!("cannot reconfigure logging: {e}"))?;
    handles.filter.reload(env_filter(settings)).map_err(|e| format!("cannot reconfigure logging: {e}"))
}
