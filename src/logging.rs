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
use std::sync::{Mutex, OnceLock};

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, Layer, Registry};

type BoxedLayer = Box<dyn Layer<Registry> + Send + Sync>;

static HANDLE: OnceLock<reload::Handle<BoxedLayer, Registry>> = OnceLock::new();

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

fn build(settings: &Settings) -> Result<BoxedLayer, String> {
    let explicit = std::env::var_os("RUST_LOG").is_some();
    let env = match (&settings.level, explicit) {
        (_, true) => EnvFilter::from_default_env(),
        (Some(level), false) => EnvFilter::new(format!("warn,duroxide::orchestration={level},duroxide::activity={level}")),
        (None, false) => EnvFilter::new("warn"),
    };
    let quiet = !explicit && settings.level.is_none();
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
    let layer: BoxedLayer = match settings.format {
        Format::Full => base.with_filter(env).boxed(),
        Format::Json => base.json().with_filter(env).boxed(),
        Format::Pretty => base.pretty().with_filter(env).boxed(),
        Format::Compact => base.compact().with_filter(env).boxed(),
    };
    Ok(layer.with_filter(filter_fn(move |meta| !quiet || !is_application_failure_report(meta))).boxed())
}

/// Installs the default subscriber (before duroxide's runtime tries its own,
/// which then stands aside).
pub fn init() {
    let Ok(layer) = build(&Settings::default()) else { return };
    let (layer, handle) = reload::Layer::new(layer);
    if tracing_subscriber::registry().with(layer).try_init().is_ok() {
        let _ = HANDLE.set(handle);
    }
}

/// Replaces the log format, level and destination for the rest of the run.
pub fn configure(settings: &Settings) -> Result<(), String> {
    let layer = build(settings)?;
    match HANDLE.get() {
        Some(handle) => handle.reload(layer).map_err(|e| format!("cannot reconfigure logging: {e}")),
        None => Ok(()),
    }
}
