//! Stores as resources of the isolate: JS providers hold their resource id,
//! and runtimes and clients made from a provider share its store.

use std::borrow::Cow;

use deno_core::{OpState, Resource, ResourceId};

use crate::engine::store::{Store, StoreOptions};

pub struct StoreResource(Store);

impl Resource for StoreResource {
    fn name(&self) -> Cow<'_, str> {
        "duroxideStore".into()
    }
}

pub fn add(state: &mut OpState, store: Store) -> ResourceId {
    state.resource_table.add(StoreResource(store))
}

pub fn get(state: &OpState, rid: ResourceId) -> Result<Store, String> {
    state
        .resource_table
        .get::<StoreResource>(rid)
        .map(|resource| resource.0.clone())
        .map_err(|_| format!("unknown store handle {rid}: pass a provider made by SqliteProvider.open/inMemory or PostgresProvider.connect"))
}

/// How this isolate decorates the stores it opens.
pub fn options(state: &OpState) -> StoreOptions {
    state.borrow::<StoreOptions>().clone()
}
