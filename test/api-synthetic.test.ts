/**
 * Synthetic datasets are simulated off the request path (issue 14): in a worker thread, so that /healthz and other
 * requests keep answering while a large one is generated (100 images of 512² blocked /healthz for 11 s), and
 * refused above the size cap before any work.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SYNTHETIC_PIXELS } from '../apps/api/src/lib/synthetic.ts';
import { createHarness, type Harness } from './api-harness.ts';

let h: Harness;
before(async () => { h = await createHarness(); });
after(async () => h?.close());

test('a synthetic dataset is simulated while /healthz keeps answering (within 300 ms; generated in the request it blocked it for the whole simulation)', async (t) => {
  const simulating = h.app.inject({ method: 'POST', url: '/v1/datasets', payload: { name: 'off-path', synthetic: { preset: 'dataset1', n: 30, seed: 2, size: 256 } } });
  let done = false;
  void simulating.finally(() => { done = true; });
  const latencies: number[] = [];
  while (!done) {
    const started = performance.now();
    const health = await h.app.inject({ method: 'GET', url: '/healthz' });
    latencies.push(performance.now() - started);
    assert.equal(health.statusCode, 200);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const created = await simulating;
  assert.equal(created.statusCode, 201, created.body);
  assert.deepEqual([created.json().count, created.json().height, created.json().width], [30, 256, 256]);
  const worst = Math.max(...latencies);
  t.diagnostic(`${latencies.length} health checks while simulating; the slowest ${worst.toFixed(0)} ms`);
  assert.ok(latencies.length >= 10, `the simulation took long enough to tell (${latencies.length} checks)`);
  assert.ok(worst < 300, `/healthz answered within ${worst} ms`);
});

test('a synthetic dataset above the cap is refused (400) before any work, nothing written', async () => {
  const before = await h.counts();
  const response = await h.app.inject({ method: 'POST', url: '/v1/datasets', payload: { synthetic: { preset: 'dataset1', n: 101, seed: 0, size: 512 } } });
  assert.equal(response.statusCode, 400, response.body);
  assert.equal(response.json().code, 'SYNTHETIC_TOO_LARGE');
  assert.match(response.json().message, new RegExp(`larger than the ${MAX_SYNTHETIC_PIXELS}`));
  assert.deepEqual(await h.counts(), before);
});
