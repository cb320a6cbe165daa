//! duroxide only, no V8: stores and their decorators, the typed client and
//! the shapes it answers in, runtime options and lifecycle, the task
//! descriptors orchestrations yield, history as users see it.

pub mod client;
pub mod documents;
pub mod history;
pub mod history_file;
pub mod options;
pub mod replay_verdict;
pub mod runtime;
pub mod shapes;
pub mod store;
pub mod tasks;
