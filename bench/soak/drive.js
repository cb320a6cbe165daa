// Starts one round of the soak (bench/soak.py) against a store a worker serves,
// waits for every instance, prints one JSON line.
// Usage: duroxide run bench/soak/drive.js <store-url> <schema|-> <round> <count>
const { SqliteProvider, PostgresProvider, Client } = require('duroxide');
const [url, schema, round, countText] = process.argv.slice(2);
const count = Number(countText);

(async () => {
  const provider = url.startsWith('postgres')
    ? await PostgresProvider.connectWithSchema(url, schema)
    : await SqliteProvider.open(url);
  const client = new Client(provider);
  const ids = Array.from({ length: count }, (_, i) => `soak-${round}-${i}`);
  const t0 = performance.now();
  await client.startOrchestration(ids[0], 'Soak', 0);
  const first = client.waitForOrchestration(ids[0], 3600000).then(() => performance.now() - t0);
  for (let i = 1; i < ids.length; i += 500) {
    await Promise.all(ids.slice(i, i + 500).map((id) => client.startOrchestration(id, 'Soak', 0)));
  }
  const startedMs = performance.now() - t0;
  let failed = 0;
  for (const id of ids) {
    const r = await client.waitForOrchestration(id, 3600000);
    if (r.status !== 'Completed' || r.output !== 2) failed += 1;
  }
  const allDoneMs = performance.now() - t0;
  console.log(JSON.stringify({ round: Number(round), count, startedMs, firstDoneMs: await first, allDoneMs, failed }));
})();
