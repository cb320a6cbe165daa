//! Beyond the SDK: N-way and nested races (issue 3, item 5).

use serde_json::json;

use crate::support::{fixture, run};

fn more(name: &str) -> serde_json::Value {
    let r = run(&["run", fixture("api_more.js").to_str().unwrap(), name]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.json()
}

#[test]
fn race_of_three_returns_the_third_when_it_wins() {
    assert_eq!(more("race3"), json!({"index": 2, "value": "third"}));
}

#[test]
fn all_accepts_nested_races_and_alls() {
    assert_eq!(
        more("nested"),
        json!([
            {"ok": {"index": 0, "value": null}},
            {"ok": [{"ok": "a"}, {"ok": "b"}]},
            {"ok": {"index": 0, "value": [{"ok": "c"}, {"ok": null}]}}
        ])
    );
}
