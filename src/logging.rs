//! Log output through `tracing`: `RUST_LOG` filters as in the SDK. Without it,
//! warnings and errors only, so a script's own output stays readable; and the
//! two warnings duroxide writes for application failures (an activity that
//! threw, an orchestration that failed) are left out, because the script sees
//! those through results and statuses already.

use std::io::IsTerminal;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, Layer};

fn is_application_failure_report(meta: &Metadata) -> bool {
    *meta.level() == Level::WARN
        && meta.target() == "duroxide::runtime"
        && (meta.fields().field("outcome").is_some() || meta.fields().field("error_type").is_some())
}

pub fn init() {
    let explicit = std::env::var_os("RUST_LOG").is_some();
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(env)
        .with_filter(filter_fn(move |meta| explicit || !is_application_failure_report(meta)));
    // Installed before duroxide's runtime tries its own, which then stands aside.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
