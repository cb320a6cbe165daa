//! Generators kept alive between turns (issue 6): the same results as a full
//! replay every turn, with JavaScript work linear in history.

use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

use crate::support::{command, fixture, run_cmd, Store};

/// `generator_cache.js <scenario>` with extra environment, on instance ids
/// of its own (runs of one test share a PostgreSQL schema).
fn cached(store: &Store, scenario: &str, env: &[(&str, &str)]) -> Value {
    static RUN: AtomicU32 = AtomicU32::new(0);
    let script = fixture("generator_cache.js");
    let suffix = format!("-{}", RUN.fetch_add(1, Ordering::Relaxed));
    let mut cmd = command(&["run", script.to_str().unwrap(), scenario, &suffix]);
    store.apply(&mut cmd);
    cmd.env_remove("DUROXIDE_GENERATOR_CACHE").env_remove("DUROXIDE_REPLAY_CHECK");
    cmd.envs(env.iter().copied());
    let r = run_cmd(cmd);
    assert_eq!(r.code, 0, "{scenario} {env:?}:\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    r.json()
}

const OFF: &[(&str, &str)] = &[("DUROXIDE_GENERATOR_CACHE", "0")];
const ONE: &[(&str, &str)] = &[("DUROXIDE_GENERATOR_CACHE", "1")];
const CHECK: &[(&str, &str)] = &[("DUROXIDE_REPLAY_CHECK", "1")];

fn without_counts(mut v: Value) -> Value {
    let o = v.as_object_mut().unwrap();
    o.remove("bodies");
    o.remove("steps");
    v
}

store_tests! {
    fn a_kept_generator_runs_each_step_once_where_replay_runs_it_every_turn(store) {
        let kept = cached(store, "chain", &[]);
        assert_eq!(kept["status"], "Completed", "{kept}");
        assert_eq!(kept["output"], 435);
        assert_eq!(kept["bodies"], 1, "one generator for the whole orchestration: {kept}");
        assert_eq!(kept["steps"], 30, "each loop step once: {kept}");

        let replayed = cached(store, "chain", OFF);
        assert_eq!(replayed["output"], 435);
        assert_eq!(replayed["bodies"], 31, "a fresh generator every turn: {replayed}");
        assert_eq!(replayed["steps"], 30 * 31 / 2 + 30, "quadratic without the cache: {replayed}");
    }

    fn status_values_failures_races_and_children_match_a_full_replay(store) {
        let replayed = cached(store, "mixed", OFF);
        assert_eq!(replayed["status"], "Completed", "{replayed}");
        assert_eq!(replayed["output"]["failure"], "boom");
        assert_eq!(replayed["output"]["race"]["value"]["go"], true);
        assert_eq!(replayed["kv"]["seen"], "1");
        assert_eq!(replayed["customStatus"], "done");
        for env in [&[][..], ONE, CHECK] {
            let run = cached(store, "mixed", env);
            assert_eq!(without_counts(run.clone()), without_counts(replayed.clone()), "{env:?}");
            if env.is_empty() {
                assert_eq!(run["bodies"], 1, "{run}");
            }
        }
    }

    fn an_evicted_generator_is_replayed_and_gives_the_same_result(store) {
        let evicted = cached(store, "evicted", ONE);
        assert_eq!(evicted["waiter"]["status"], "Completed", "{evicted}");
        assert_eq!(evicted["waiter"]["output"], serde_json::json!({"a": 1, "e": "go", "b": "b"}));
        assert_eq!(evicted["chain"]["output"], 10);
        assert_eq!(evicted["bodies"], 3, "the waiter's generator was evicted once and replayed: {evicted}");
        let kept = cached(store, "evicted", &[]);
        assert_eq!(without_counts(kept.clone()), without_counts(evicted));
        assert_eq!(kept["bodies"], 2, "{kept}");
    }

    fn an_instance_started_again_under_its_id_does_not_resume_the_old_generator(store) {
        let r = cached(store, "recreated", &[]);
        assert_eq!(r["status"], "Completed", "{r}");
        // Tick counts activity runs in this process: 1 was the deleted instance's.
        assert_eq!(r["output"], serde_json::json!({"a": 2, "e": "go", "b": "b"}));
    }

    fn continue_as_new_starts_one_generator_per_execution(store) {
        let r = cached(store, "generations", &[]);
        assert_eq!(r["status"], "Completed", "{r}");
        assert_eq!(r["output"], serde_json::json!({"gen": 3, "v": 3, "executionId": 3}));
        assert_eq!(r["bodies"], 3, "{r}");
        assert_eq!(without_counts(cached(store, "generations", OFF)), without_counts(r));
    }

    fn replay_check_fails_a_generator_steered_by_outside_state(store) {
        let checked = cached(store, "steered", CHECK);
        assert_eq!(checked["status"], "Failed", "{checked}");
        let error = checked["error"].as_str().unwrap();
        assert!(error.contains("orchestration 'Steered' is not deterministic"), "{error}");
        assert!(error.contains("activity 'Echo' with input 2") && error.contains("input 1"), "{error}");
        let kept = cached(store, "steered", &[]);
        assert_eq!(kept["status"], "Completed", "{kept}");
    }
}
