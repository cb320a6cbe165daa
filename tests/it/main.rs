//! Integration tests: each runs the built `duroxide` binary on JS fixtures
//! and asserts on output, statuses, error text and exit codes.

/// Each test inside runs twice: as `sqlite::NAME` and as `postgres::NAME`
/// (ignored, visibly, when the tests were built without DUROXIDE_TEST_PG_URL;
/// see build.rs).
macro_rules! store_tests {
    ($(fn $name:ident($store:ident) $body:block)*) => {
        mod sqlite {
            #[allow(unused_imports)]
            use super::*;
            $(#[test] fn $name() { let $store = &crate::support::Store::Sqlite; $body })*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $(#[test]
            #[cfg_attr(not(pg_tests), ignore = "needs DUROXIDE_TEST_PG_URL")]
            fn $name() {
                let store = crate::support::Store::postgres(concat!(module_path!(), "::", stringify!($name)));
                let $store = &store;
                $body
            })*
        }
    };
}

mod support;

mod api_client;
mod api_context;
mod api_more;
mod bad_input;
mod bench_smoke;
mod browser;
mod cli;
mod composition;
mod conformance;
mod dashboard;
mod determinism;
mod durability;
mod generator_cache;
mod http_server;
mod io;
mod layers;
mod logging;
mod npm;
mod runaway;
mod runtime_options;
mod own_store;
mod replay;
mod scale_out;
mod script_env;
mod shipping;
mod store_locations;
mod test_runner;
mod typescript;
mod web_http;
mod webdriver;
