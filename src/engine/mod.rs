//! The duroxide side: stores, runtimes, clients, and the bridges that let
//! orchestrations and activities run JavaScript.

pub mod activity;
pub mod client;
pub mod context_calls;
pub mod generator_cache;
pub mod history;
pub mod host_store;
pub mod orchestration;
pub mod runtimes;
pub mod stores;
pub mod tasks;
