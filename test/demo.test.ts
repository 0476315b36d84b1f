/**
 * `npm run demo`'s code path, scaled down: its own database and Redis prefix, the three services as
 * child processes, a tiny dataset1 and a 2-run λ sweep of a few steps through the HTTP API; the table
 * has a row per λ with the evaluation's figures and the five baseline rows, the SVG plot is saved,
 * and the services are stopped. The database and the prefix are removed afterwards.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@divblur/config';
import { dropDatabase } from '@divblur/db';
import { createRedis, deleteKeysWithPrefix } from '@divblur/queue';
import { runServiceDemo } from '../apps/demo/src/service-demo.ts';
import { BASELINE_LABELS } from '../apps/demo/src/baseline-labels.ts';

const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
const database = `divblur_test_demo_${suffix}`;
const queuePrefix = `divblur-test-demo-${suffix}`;
let out = '';

after(async () => {
  const config = loadConfig();
  const url = new URL(config.databaseUrl);
  url.pathname = `/${database}`;
  await dropDatabase(url.toString());
  const redis = createRedis(config.redisUrl);
  await deleteKeysWithPrefix(redis, queuePrefix);
  redis.disconnect();
  if (out) await rm(out, { recursive: true, force: true });
});

test('the demo runs a 2-run λ sweep through the services and prints the runs and the baselines; the plot is saved', async (t) => {
  out = await mkdtemp(join(tmpdir(), 'divblur-demo-test-'));
  const printed: string[] = [];
  const result = await runServiceDemo({
    out, database, queuePrefix, images: 8, imageSize: 32, seed: 3,
    penalty: 'l1', lambdas: [1, 100],
    network: { depth: 2, filters: [4, 8], latentChannels: 4 },
    training: { steps: 8, patchSize: 32, batchSize: 4 },
    progress: false, print: (text) => printed.push(text),
  });
  t.diagnostic(`demo took ${result.seconds.toFixed(1)} s`);
  const output = printed.join('');
  assert.deepEqual(result.rows.map((r) => [r.label, r.lambda]), [
    ['l1', 1], ['l1', 100],
    ...Object.values(BASELINE_LABELS).map((label) => [label, null]),
  ]);
  for (const row of result.rows.slice(0, 2)) {
    for (const value of [row.psnrMmse, row.psnrSamples, row.ssim]) assert.ok(Number.isFinite(value), JSON.stringify(row));
  }
  for (const row of result.rows.slice(2)) {
    assert.ok(Number.isFinite(row.psnrMmse) && Number.isFinite(row.ssim), JSON.stringify(row));
    assert.equal(row.psnrSamples, row.psnrMmse, 'a classical estimate is one image: its psnr_samples is its PSNR');
  }
  assert.match(output, /^training backend: (native:onednn|tfjs-node|wasm)/m, 'the demo says which backend trains');
  if (/^training backend: native:/m.test(output)) {
    assert.match(output, /^training backend: native:\S+ \(oneDNN kernels, the fast CPU path\): \d+ shards? × (1 thread|every core), (f32|bf16|bf16-backward) convolutions$/m,
      'on the native engine, with its thread layout');
  }
  assert.match(output, /psnr_mmse \(dB\)\s+psnr_samples \(dB\)\s+SSIM/);
  assert.match(output, /Richardson–Lucy, best iteration on GT \(oracle\)/);
  const svg = await readFile(result.svgPath, 'utf8');
  assert.match(svg, /^(<\?xml[^>]*>\s*)?<svg[\s\S]*<\/svg>\s*$/);
  assert.match(svg, /data-series="penalty=l1"/);
  assert.match(svg, /data-baseline="rl_oracle"/);
  assert.ok(output.includes(result.svgPath));
  assert.match(output, /services stopped/);
});
