// Benchmark workloads on duroxide (JS). Prints one JSON line.
// Usage: duroxide run bench/workloads.js <workload> <count> <throughput|latency|backlog> <db-path>
// backlog: every instance is queued before the runtime starts; firstDoneMs counts from its start.
const { SqliteProvider, Client, Runtime } = require('duroxide');
const [workload, countText, mode, dbPath, replaySize] = process.argv.slice(2);
const REPLAY = Number(replaySize || 1000);
const count = Number(countText);

const ACTIVITIES = { hello: 1, seq10: 10, fan100: 100, timer: 0, replay1000: REPLAY };

(async () => {
  const t0 = performance.now();
  const provider = await SqliteProvider.open(dbPath);
  const client = new Client(provider);
  const runtime = new Runtime(provider, { orchestrationConcurrency: 4, workerConcurrency: 8, dispatcherPollIntervalMs: 100 });
  runtime.registerActivity('Work', async (ctx, x) => x);
  runtime.registerOrchestration('hello', function* (ctx, x) { return yield ctx.scheduleActivity('Work', x); });
  runtime.registerOrchestration('seq10', function* (ctx, x) {
    for (let i = 0; i < 10; i++) x = yield ctx.scheduleActivity('Work', x);
    return x;
  });
  runtime.registerOrchestration('fan100', function* (ctx, x) {
    const r = yield ctx.all(Array.from({ length: 100 }, (_, i) => ctx.scheduleActivity('Work', i)));
    return r.length;
  });
  runtime.registerOrchestration('timer', function* (ctx) { yield ctx.scheduleTimer(10); return 'done'; });
  runtime.registerOrchestration('replay1000', function* (ctx, x) {
    for (let i = 0; i < REPLAY; i++) x = yield ctx.scheduleActivity('Work', x);
    return x;
  });
  const ids = Array.from({ length: count }, (_, i) => `${workload}-${i}`);
  const latencies = [];
  let failed = 0;
  let firstDoneMs = null;
  // A backlog is queued before the runtime starts, and timed from its start.
  if (mode === 'backlog') await Promise.all(ids.map((id) => client.startOrchestration(id, workload, 'x')));
  else await runtime.start();
  const started = performance.now();
  if (mode === 'backlog') {
    await runtime.start();
    for (const id of ids) {
      const r = await client.waitForOrchestration(id, 600000);
      if (r.status !== 'Completed') failed += 1;
      if (firstDoneMs === null) firstDoneMs = performance.now() - started;
    }
  } else if (mode === 'latency') {
    for (const id of ids) {
      const s = performance.now();
      await client.startOrchestration(id, workload, 'x');
      const r = await client.waitForOrchestration(id, 600000);
      if (r.status !== 'Completed') throw new Error(`${id}: ${r.status} ${r.error}`);
      latencies.push(performance.now() - s);
      if (firstDoneMs === null) firstDoneMs = performance.now() - t0;
    }
  } else {
    await Promise.all(ids.map((id) => client.startOrchestration(id, workload, 'x')));
    for (const id of ids) {
      const r = await client.waitForOrchestration(id, 600000);
      if (r.status !== 'Completed') failed += 1;
      if (firstDoneMs === null) firstDoneMs = performance.now() - t0;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await runtime.shutdown(1000);
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
  console.log(JSON.stringify({
    impl: 'duroxide-js', workload, mode, count, seconds,
    orchPerSec: count / seconds, actPerSec: (count * ACTIVITIES[workload]) / seconds,
    p50Ms: pct(0.5), p95Ms: pct(0.95), firstDoneMs, failed,
  }));
  // Node keeps the process alive for seconds after the SDK's runtime shut
  // down; exit here so "whole process" compares like with like.
  process.exit(0);
})();
