//! Beyond the SDK: N-way and nested races (issue 3, item 5).

use serde_json::json;

use crate::support::{scenario_of, Store};

fn more(store: &Store, name: &str) -> serde_json::Value {
    scenario_of(store, "api_more.js", &[name])
}

store_tests! {
    fn race_of_three_returns_the_third_when_it_wins(store) {
        assert_eq!(more(store, "race3"), json!({"index": 2, "value": "third"}));
    }

    fn all_accepts_nested_races_and_alls(store) {
        assert_eq!(
            more(store, "nested"),
            json!([
                {"ok": {"index": 0, "value": null}},
                {"ok": [{"ok": "a"}, {"ok": "b"}]},
                {"ok": {"index": 0, "value": [{"ok": "c"}, {"ok": null}]}}
            ])
        );
    }
}
