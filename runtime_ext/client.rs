//! The SDK's `Client` (client.js): one op per method, each a call of the
//! engine's typed client on a store resource. client.js checks argument
//! types and parses payload JSON; the shapes are engine::shapes.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use deno_core::{op2, OpState, ResourceId};
use deno_error::JsErrorBox;

use super::{err, type_err};
use crate::bridge::stores;
use crate::engine::client::Client;
use crate::engine::history::HistoryEvent;
use crate::engine::shapes::{Deleted, Execution, Filter, Instance, Metrics, Prune, Pruned, Queues, Stats, Status, Tree};

deno_core::extension!(
    duroxide_client,
    ops = [
        op_client_start,
        op_client_status,
        op_client_wait,
        op_client_raise_event,
        op_client_enqueue_event,
        op_client_cancel,
        op_client_wait_for_status_change,
        op_client_value,
        op_client_wait_for_value,
        op_client_values,
        op_client_system_metrics,
        op_client_queue_depths,
        op_client_stats,
        op_client_instances,
        op_client_instance,
        op_client_execution,
        op_client_executions,
        op_client_history,
        op_client_tree,
        op_client_delete,
        op_client_delete_bulk,
        op_client_prune,
        op_client_prune_bulk,
    ],
    esm = ["ext:duroxide/client.js" = "runtime_ext/client.js"],
);

fn client(state: &Rc<RefCell<OpState>>, store: ResourceId) -> Result<Client, JsErrorBox> {
    Ok(Client::new(&stores::get(&state.borrow(), store).map_err(type_err)?))
}

fn millis(ms: f64) -> Duration {
    Duration::from_millis(ms.max(0.0) as u64)
}

#[op2(async)]
async fn op_client_start(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[string] name: String,
    #[string] input: String,
    #[string] version: Option<String>,
) -> Result<(), JsErrorBox> {
    client(&state, store)?.start(&id, &name, input, version.as_deref()).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_status(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId, #[string] id: String) -> Result<Status, JsErrorBox> {
    client(&state, store)?.status(&id).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_wait(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    timeout_ms: f64,
) -> Result<Status, JsErrorBox> {
    client(&state, store)?.wait(&id, millis(timeout_ms)).await.map_err(err)
}

#[op2(async)]
async fn op_client_raise_event(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[string] name: String,
    #[string] data: String,
) -> Result<(), JsErrorBox> {
    client(&state, store)?.raise_event(&id, &name, data).await.map_err(err)
}

#[op2(async)]
async fn op_client_enqueue_event(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[string] queue: String,
    #[string] data: String,
) -> Result<(), JsErrorBox> {
    client(&state, store)?.enqueue_event(&id, &queue, data).await.map_err(err)
}

#[op2(async)]
async fn op_client_cancel(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[string] reason: String,
) -> Result<(), JsErrorBox> {
    client(&state, store)?.cancel(&id, &reason).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_wait_for_status_change(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    last_seen: f64,
    poll_ms: f64,
    timeout_ms: f64,
) -> Result<Status, JsErrorBox> {
    let client = client(&state, store)?;
    client.wait_for_status_change(&id, last_seen as u64, millis(poll_ms), millis(timeout_ms)).await.map_err(err)
}

#[op2(async)]
#[string]
async fn op_client_value(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[string] key: String,
) -> Result<Option<String>, JsErrorBox> {
    client(&state, store)?.value(&id, &key).await.map_err(err)
}

#[op2(async)]
#[string]
async fn op_client_wait_for_value(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[string] key: String,
    timeout_ms: f64,
) -> Result<String, JsErrorBox> {
    client(&state, store)?.wait_for_value(&id, &key, millis(timeout_ms)).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_values(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
) -> Result<BTreeMap<String, String>, JsErrorBox> {
    client(&state, store)?.values(&id).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_system_metrics(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId) -> Result<Metrics, JsErrorBox> {
    client(&state, store)?.system_metrics().await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_queue_depths(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId) -> Result<Queues, JsErrorBox> {
    client(&state, store)?.queue_depths().await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_stats(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId, #[string] id: String) -> Result<Option<Stats>, JsErrorBox> {
    client(&state, store)?.stats(&id).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_instances(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] status: Option<String>,
) -> Result<Vec<String>, JsErrorBox> {
    client(&state, store)?.instances(status.as_deref()).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_instance(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId, #[string] id: String) -> Result<Instance, JsErrorBox> {
    client(&state, store)?.instance(&id).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_execution(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    execution: f64,
) -> Result<Execution, JsErrorBox> {
    client(&state, store)?.execution(&id, execution as u64).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_executions(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId, #[string] id: String) -> Result<Vec<u64>, JsErrorBox> {
    client(&state, store)?.executions(&id).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_history(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    execution: f64,
) -> Result<Vec<HistoryEvent>, JsErrorBox> {
    client(&state, store)?.history(&id, execution as u64).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_tree(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId, #[string] id: String) -> Result<Tree, JsErrorBox> {
    client(&state, store)?.tree(&id).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_delete(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    force: bool,
) -> Result<Deleted, JsErrorBox> {
    client(&state, store)?.delete(&id, force).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_delete_bulk(state: Rc<RefCell<OpState>>, #[smi] store: ResourceId, #[serde] filter: Filter) -> Result<Deleted, JsErrorBox> {
    client(&state, store)?.delete_bulk(filter).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_prune(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[string] id: String,
    #[serde] options: Prune,
) -> Result<Pruned, JsErrorBox> {
    client(&state, store)?.prune(&id, options).await.map_err(err)
}

#[op2(async)]
#[serde]
async fn op_client_prune_bulk(
    state: Rc<RefCell<OpState>>,
    #[smi] store: ResourceId,
    #[serde] filter: Filter,
    #[serde] options: Prune,
) -> Result<Pruned, JsErrorBox> {
    client(&state, store)?.prune_bulk(filter, options).await.map_err(err)
}
