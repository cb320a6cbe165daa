//! `SqliteProvider` and `PostgresProvider` (providers.js): opening a store
//! gives JS the id of a store resource.

use std::cell::RefCell;
use std::rc::Rc;

use deno_core::{op2, OpState, ResourceId};
use deno_error::JsErrorBox;

use super::err;
use crate::bridge::stores;
use crate::engine::store::{self, Store};

deno_core::extension!(
    duroxide_stores,
    ops = [op_store_open_sqlite, op_store_in_memory, op_store_open_postgres, op_store_skip_time],
    esm = ["ext:duroxide/providers.js" = "runtime_ext/providers.js"],
);

fn added(state: &Rc<RefCell<OpState>>, opened: Result<Store, String>) -> Result<ResourceId, JsErrorBox> {
    Ok(stores::add(&mut state.borrow_mut(), opened.map_err(err)?))
}

#[op2(async)]
#[smi]
async fn op_store_open_sqlite(state: Rc<RefCell<OpState>>, #[string] path: String) -> Result<ResourceId, JsErrorBox> {
    let options = stores::options(&state.borrow());
    added(&state, store::open_sqlite(&path, &options).await)
}

#[op2(async)]
#[smi]
async fn op_store_in_memory(state: Rc<RefCell<OpState>>) -> Result<ResourceId, JsErrorBox> {
    let options = stores::options(&state.borrow());
    added(&state, store::open_in_memory(&options).await)
}

#[op2(async)]
#[smi]
async fn op_store_open_postgres(
    state: Rc<RefCell<OpState>>,
    #[string] url: String,
    #[string] schema: Option<String>,
) -> Result<ResourceId, JsErrorBox> {
    let options = stores::options(&state.borrow());
    added(&state, store::open_postgres(&url, schema.as_deref(), &options).await)
}

/// duroxide/testing's clock: `byMs` null fires the next timer when nothing can run and answers the
/// jump in ms (null when busy or no timer waits); a number fires what is due within it and answers it
/// when something can run now (null when idle).
#[op2(async)]
async fn op_store_skip_time(state: Rc<RefCell<OpState>>, #[smi] rid: ResourceId, by_ms: Option<f64>) -> Result<Option<f64>, JsErrorBox> {
    let store = stores::get(&state.borrow(), rid).map_err(err)?;
    let stepped = store.skip_time(by_ms.map(|ms| ms.max(0.0) as i64)).await.map_err(err)?;
    Ok(stepped.map(|ms| ms as f64))
}
