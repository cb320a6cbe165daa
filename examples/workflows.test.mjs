// Tests of examples/workflows.mjs: `duroxide test examples/` runs them (so does `cargo test`).
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TestEnvironment } from 'duroxide/testing';
import * as workflows from './workflows.mjs';

const waitingFor = async (handle) => {
  // An event raised before the instance waits for it is dropped: wait for the wait.
  while (!(await handle.history()).some((e) => e.kind === 'ExternalSubscribed')) await new Promise((r) => setTimeout(r, 5));
};

describe('workflows.mjs', () => {
  let env;
  beforeEach(async () => {
    env = await TestEnvironment.create({ module: workflows });
  });
  afterEach(() => env.dispose());

  test('Hello greets', async () => {
    const h = await env.start('Hello', 'Ann');
    assert.equal(await h.result(), 'Hello, Ann!');
  });

  test('Thumbnails keeps the input order', async () => {
    const h = await env.start('Thumbnails', ['a.png', 'b.png']);
    assert.deepEqual(await h.result(), [{ image: 'a.png', width: 320 }, { image: 'b.png', width: 320 }]);
  });

  test('Approval: approved by the event', async () => {
    const h = await env.start('Approval', { item: 'laptop', timeoutMs: 60_000 });
    await waitingFor(h);
    assert.equal((await h.status()).customStatus, 'waiting for approval of laptop');
    await h.raiseEvent('approve', { by: 'ann' });
    assert.deepEqual(await h.result(), { item: 'laptop', approved: true, by: 'ann' });
  });

  test('Approval: times out after a day without one (at once: time skipping)', async () => {
    const h = await env.start('Approval', { item: 'chair', timeoutMs: 86_400_000 });
    assert.deepEqual(await h.result(), { item: 'chair', approved: false, reason: 'timed out' });
  });

  test('Trip: a failed hotel booking cancels the flight', async () => {
    const h = await env.start('Trip', { to: 'Oslo', nights: 20 });
    const out = await h.result();
    assert.match(out.failed, /no hotel in Oslo takes 20 nights/);
    assert.equal(out.compensation, 'cancelled flight-Oslo');
  });

  test('Trip: with a mocked hotel', async () => {
    env.mockActivity('BookHotel', async (ctx, trip) => `mock-hotel-${trip.to}`);
    const h = await env.start('Trip', { to: 'Oslo', nights: 20 });
    assert.deepEqual(await h.result(), { flight: 'flight-Oslo', hotel: 'mock-hotel-Oslo' });
  });

  test('Monitor continues as new and stops', async () => {
    env.mockActivity('CheckHealth', async (ctx, url) => ({ url, healthy: true }));
    const h = await env.start('Monitor', { url: 'http://x', every: 3_600_000, stopAfter: 3 });
    assert.deepEqual(await h.result(), { checks: 3 });
    assert.equal((await env.client.listExecutions(h.id)).length, 3);
  });

  // A deploy check: histories recorded by `duroxide history ID --json --all-executions` must replay on
  // this code. Change a step they went through (say, BookFlight's input) and this fails naming the line.
  test('recorded histories replay on the current code', async () => {
    for (const name of ['trip-1', 'monitor-1']) {
      const history = JSON.parse(readFileSync(new URL(`./histories/${name}.json`, import.meta.url).pathname, 'utf8'));
      const results = await TestEnvironment.replay(workflows, history);
      assert.deepEqual(results.map((r) => r.line), [`${name}: ok`]);
    }
  });
});
