//! Integration tests: each runs the built `duroxide` binary on JS fixtures
//! and asserts on output, statuses, error text and exit codes.

mod support;

mod api_client;
mod api_context;
mod api_more;
mod bad_input;
mod composition;
mod conformance;
mod determinism;
mod durability;
mod logging;
mod runtime_options;
mod script_env;
