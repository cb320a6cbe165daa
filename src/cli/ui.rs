//! `duroxide ui`: the dashboard and HTTP API for a store; and the same beside
//! a worker for `duroxide run MODULE --ui`.

use clap::Args;

use super::args::{block_on, StoreArgs};
use crate::engine::store::{self, StoreOptions};
use crate::failure::Failure;
use crate::web::{self, App};

#[derive(Args)]
#[command(after_help = "\
Examples:
  duroxide ui                                          http://127.0.0.1:8233/ for ./duroxide.db
  duroxide ui --store postgres://app:pw@db/app --listen 127.0.0.1:9000
  DUROXIDE_UI_TOKEN=$(openssl rand -hex 16) duroxide ui --listen 0.0.0.0:8233
  curl -H \"Authorization: Bearer $DUROXIDE_UI_TOKEN\" http://HOST:8233/api/instances?status=Failed

Any address but loopback needs a token; with one, every page and API call needs it.")]
pub struct UiArgs {
    /// Address to listen on: HOST:PORT, or a port on 127.0.0.1
    #[arg(long, value_name = "ADDR", default_value = web::DEFAULT_LISTEN)]
    pub listen: String,
    #[command(flatten)]
    pub token: TokenArg,
}

#[derive(Args, Clone)]
pub struct TokenArg {
    /// Token every page and API call must carry (Authorization: Bearer TOKEN, or log in); required off loopback
    #[arg(long, value_name = "TOKEN", env = "DUROXIDE_UI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Checks the address and binds it: a bad or taken address is a usage error before anything else starts.
fn listener(listen: &str, token: &TokenArg) -> Result<std::net::TcpListener, Failure> {
    let address = web::listen_address(listen).map_err(Failure::Usage)?;
    web::check_exposure(&address, token.token.as_deref()).map_err(Failure::Usage)?;
    web::bind(address).map_err(Failure::Usage)
}

async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

pub fn run(args: UiArgs, store: &StoreArgs) -> Result<i32, Failure> {
    let listener = listener(&args.listen, &args.token)?;
    block_on(async {
        let opened = store.open_existing().await?;
        println!("dashboard: {}  (store {})", web::url_of(&listener), store::redact(&store.store));
        let _ = std::io::Write::flush(&mut std::io::stdout());
        web::serve(listener, App::new(opened, args.token.token), stopped()).await.map_err(Failure::Failed)?;
        Ok(0)
    })
}

/// `run --ui`: the dashboard on a thread of its own (the worker's thread runs
/// JavaScript), with its own handle on the same store, as a `duroxide ui` in
/// another process would have.
pub fn beside_worker(listen: &str, token: &TokenArg, store: &StoreArgs) -> Result<(), Failure> {
    if matches!(store::parse_location(&store.store), Ok(store::Location::Sqlite(store::SqliteTarget::Memory))) {
        return Err(Failure::Usage(
            "--ui needs a store it can open beside the worker; an in-memory store lives inside the worker alone: use a file (sqlite:./app.db)".into(),
        ));
    }
    let listener = listener(listen, token)?;
    eprintln!("dashboard: {}", web::url_of(&listener));
    let (store, token) = (store.clone(), token.token.clone());
    let options = StoreOptions { sqlite_sync: store.sqlite_sync.durability(), ..StoreOptions::default() };
    std::thread::Builder::new()
        .name("dashboard".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => return eprintln!("error: the dashboard cannot start: {e}"),
            };
            runtime.block_on(async {
                let served = match store.open_or_create(&options).await {
                    Ok(opened) => web::serve(listener, App::new(opened, token), std::future::pending()).await,
                    Err(failure) => Err(failure.message().to_string()),
                };
                if let Err(e) = served {
                    eprintln!("error: the dashboard stopped: {e}");
                }
            })
        })
        .map_err(|e| Failure::Failed(format!("cannot start the dashboard's thread: {e}")))?;
    Ok(())
}
