//! The benchmark workloads on the duroxide crate directly, with the same
//! runtime options as bench/workloads.js. Prints one JSON line.
//! Usage: duroxide-baseline <workload> <count> <throughput|latency> <db-path> [replay-size]

use std::sync::Arc;
use std::time::{Duration, Instant};

use duroxide::providers::sqlite::SqliteProvider;
use duroxide::runtime::registry::ActivityRegistry;
use duroxide::runtime::Runtime;
use duroxide::{Client, OrchestrationContext, OrchestrationRegistry, OrchestrationStatus, RuntimeOptions};

fn activities_per_instance(workload: &str, replay: usize) -> usize {
    match workload {
        "hello" => 1,
        "seq10" => 10,
        "fan100" => 100,
        "replay1000" => replay,
        _ => 0,
    }
}

async fn sequential(ctx: OrchestrationContext, mut x: String, n: usize) -> Result<String, String> {
    for _ in 0..n {
        x = ctx.schedule_activity("Work", x).await?;
    }
    Ok(x)
}

#[tokio::main]
async fn main() {
    let t0 = Instant::now();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (workload, count, mode, db) = (args[0].clone(), args[1].parse::<usize>().unwrap(), args[2].clone(), args[3].clone());
    let replay: usize = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(1000);
    std::fs::OpenOptions::new().create(true).append(true).open(&db).unwrap();
    let store = Arc::new(SqliteProvider::new(&format!("sqlite:{db}"), None).await.unwrap());
    let activities = ActivityRegistry::builder().register("Work", |_ctx, x: String| async move { Ok(x) }).build();
    let orchestrations = OrchestrationRegistry::builder()
        .register("hello", |ctx, x| async move { sequential(ctx, x, 1).await })
        .register("seq10", |ctx, x| async move { sequential(ctx, x, 10).await })
        .register("replay1000", move |ctx, x| async move { sequential(ctx, x, replay).await })
        .register("fan100", |ctx: OrchestrationContext, _x| async move {
            let futures: Vec<_> = (0..100).map(|i| ctx.schedule_activity("Work", i.to_string())).collect();
            Ok(ctx.join(futures).await.len().to_string())
        })
        .register("timer", |ctx: OrchestrationContext, _x| async move {
            ctx.schedule_timer(Duration::from_millis(10)).await;
            Ok("done".to_string())
        })
        .build();
    let options = RuntimeOptions {
        orchestration_concurrency: 4,
        worker_concurrency: 8,
        dispatcher_min_poll_interval: Duration::from_millis(100),
        ..Default::default()
    };
    let runtime = Runtime::start_with_options(store.clone(), activities, orchestrations, options).await;
    let client = Client::new(store);
    let ids: Vec<String> = (0..count).map(|i| format!("{workload}-{i}")).collect();
    // Counts instances that ended Failed: under load the built-in SQLite
    // provider can give up on "database is locked" and fail an instance.
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let wait = |id: String| {
        let client = client.clone();
        let failed = &failed;
        async move {
            match client.wait_for_orchestration(&id, Duration::from_secs(600)).await {
                Ok(OrchestrationStatus::Completed { .. }) => {}
                Ok(OrchestrationStatus::Failed { .. }) => {
                    failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                other => panic!("{id}: {other:?}"),
            }
        }
    };
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut first_done_ms = None;
    if mode == "latency" {
        for id in &ids {
            let s = Instant::now();
            client.start_orchestration(id, &workload, "x").await.unwrap();
            wait(id.clone()).await;
            latencies.push(s.elapsed().as_secs_f64() * 1000.0);
            first_done_ms.get_or_insert(t0.elapsed().as_secs_f64() * 1000.0);
        }
    } else {
        for id in &ids {
            client.start_orchestration(id, &workload, "x").await.unwrap();
        }
        for id in &ids {
            wait(id.clone()).await;
            first_done_ms.get_or_insert(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    runtime.shutdown(Some(1000)).await;
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| latencies.get(((p * latencies.len() as f64) as usize).min(latencies.len().saturating_sub(1))).copied();
    println!(
        "{}",
        serde_json::json!({
            "impl": "duroxide-rust", "workload": workload, "mode": mode, "count": count, "seconds": seconds,
            "orchPerSec": count as f64 / seconds,
            "actPerSec": (count * activities_per_instance(&workload, replay)) as f64 / seconds,
            "p50Ms": pct(0.5), "p95Ms": pct(0.95), "firstDoneMs": first_done_ms,
            "failed": failed.load(std::sync::atomic::Ordering::Relaxed),
        })
    );
}
