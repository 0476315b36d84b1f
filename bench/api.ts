/**
 * API benchmark (issue 7): enqueue throughput (POST /v1/experiments with a 20-run sweep, each one
 * transaction + one BullMQ flow) and the latency of GET /v1/runs — a filtered, sorted page of 50 —
 * with 10k runs and 1M loss points in a database of its own. Real HTTP on 127.0.0.1, with access control on as in
 * production (issue 15): every request sends an API key (one row read per request, the rate limiter's Redis
 * counter; limits set out of reach so that the figures are the latency, not a 429).
 *   node --import tsx bench/api.ts   → bench/results/api.json
 */
import { writeFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, loadConfig } from '@divblur/config';
import { openDatabase } from '@divblur/db';
import { createTestDatabase } from '@divblur/db/testing';
import { createProducerRedis, createRedis, deleteKeysWithPrefix } from '@divblur/queue';
import { issueApiKey } from '@divblur/http/api-key';
import { LocalBlobStore } from '@divblur/storage';
import { buildApp, createBullmqExperimentQueue } from '@divblur/api';

const RUNS = 10_000;
const LOSS_POINTS_PER_RUN = 100;
const EXPERIMENTS = 100;
const CONCURRENCY = 4;
const PAGE_REQUESTS = 1000;
const PENALTIES = ['none', 'l1', 'l2', 'positivity', 'positivity_l1'];

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// A migrated database of its own (libs/db's template clone), dropped at the end.
const database = await createTestDatabase();
// The API's database as production opens it; the fill below is bulk SQL through the same Prisma client.
const db = openDatabase({ databaseUrl: database.url }, { maxConnections: 10 });
const sql = db.prisma;
const prefix = 'divblur-bench-api';
const redis = createRedis(loadConfig().redisUrl);
await deleteKeysWithPrefix(redis, prefix);
const blobDir = await mkdtemp(join(tmpdir(), 'divblur-bench-blobs-'));
const blobs = new LocalBlobStore(blobDir);
const queue = createBullmqExperimentQueue(redis, prefix);
const limiterRedis = createProducerRedis(loadConfig().redisUrl);
const app = await buildApp({
  logger: createLogger({ logLevel: 'warn' }, { name: 'api-bench' }), db, blobs, queues: queue,
  s3Import: async () => { throw new Error('no S3 in the bench'); },
  readiness: {}, metricsSources: { queueDepths: () => queue.depths(), jobDurations: () => db.runs.jobDurations() },
  access: {
    config: { corsOrigins: [], rateLimits: { perMinute: 1_000_000, expensivePerMinute: 1_000_000 }, metricsRequireKey: false },
    redis: limiterRedis, rateLimitNamespace: `${prefix}-rate-limit:`,
  },
});
const { key } = await issueApiKey(db, { name: 'bench', scopes: ['read', 'write'] });
const authorization = `Bearer ${key}`;
const address = await app.listen({ host: '127.0.0.1', port: 0 });

try {
  const { id: datasetId } = await db.datasets.create({
    name: 'bench', source: 'synthetic', count: 20, height: 128, width: 128, dtype: 'float32', stats: { min: 0, max: 1, mean: 0.5, std: 0.1 },
    sha256: '0'.repeat(64), noisyKey: 'datasets/bench/noisy.tif', gtKey: null, psfKey: 'datasets/bench/psf.tif', psfShape: [15, 15],
    pixelSizeNm: null, noiseSigma: null, meta: {},
  });

  // 1. Enqueue: 100 experiments of 5 λ × 4 penalties = 20 runs each, CONCURRENCY in flight.
  const body = JSON.stringify({
    datasetId,
    spec: { method: 'divblurring', noiseSigma: 0.03, training: { steps: 3000, patchSize: 64 } },
    sweep: { lambda: [1e-4, 1e-3, 1e-2, 1e-1, 1], penalty: ['l1', 'l2', 'positivity', 'positivity_l1'] },
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < EXPERIMENTS) {
      const res = await fetch(`${address}/v1/experiments`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization } });
      if (res.status !== 201) throw new Error(`POST /v1/experiments: ${res.status} ${await res.text()}`);
    }
  }));
  const enqueueSeconds = (performance.now() - started) / 1000;
  const enqueuePerS = EXPERIMENTS / enqueueSeconds;
  console.log(`enqueue: ${EXPERIMENTS} experiments × 20 runs in ${enqueueSeconds.toFixed(2)} s = ${enqueuePerS.toFixed(1)} experiments/s`);

  // 2. Fill up to 10k runs (finished ones with metrics) and 1M loss points, in bulk SQL.
  const [{ id: experimentId }] = await sql.$queryRaw<Array<{ id: string }>>`SELECT id FROM experiments LIMIT 1`;
  const have = await sql.run.count();
  await sql.$executeRaw`INSERT INTO runs (experiment_id, ordinal, method, penalty, lambda, kappa, seed, network, training, status, psnr_mmse, psnr_samples, ssim)
    SELECT e.id, 1000 + s, 'divblurring', (${PENALTIES}::text[])[1 + s % 5]::penalty, power(10, -4 + (s % 9) * 0.5), 0, s,
           '{}', '{}', CASE WHEN s % 10 = 0 THEN 'queued' ELSE 'succeeded' END::run_status,
           CASE WHEN s % 10 = 0 THEN NULL ELSE 25 + 8 * random() END, CASE WHEN s % 10 = 0 THEN NULL ELSE 24 + 8 * random() END,
           CASE WHEN s % 10 = 0 THEN NULL ELSE 0.6 + 0.3 * random() END
    FROM generate_series(1, ${RUNS - have}::int) s, (SELECT id FROM experiments WHERE id = ${experimentId}::uuid) e`;
  await sql.$executeRaw`INSERT INTO loss_points (run_id, step, total, data_term, kl, penalty, beta)
    SELECT r.id, s, 1000.0 / s, 900.0 / s, 50, 1, 1 FROM runs r, generate_series(1, ${LOSS_POINTS_PER_RUN}::int) s`;
  await sql.$executeRaw`ANALYZE`;
  const runs = await sql.run.count();
  const lossPoints = await sql.lossPoint.count();
  console.log(`database: ${runs} runs, ${lossPoints} loss points`);

  // 3. GET /v1/runs: filtered, sorted pages of 50 (first pages and cursor pages), sequential.
  const queries = [
    '/v1/runs?penalty=l2&lambdaMin=1e-3&lambdaMax=1e-1&sort=-psnr_mmse&limit=50',
    `/v1/runs?experimentId=${experimentId}&sort=-psnr_mmse&limit=50`,
    '/v1/runs?status=succeeded&sort=-ssim&limit=50',
    '/v1/runs?penalty=positivity&sort=lambda&limit=50',
  ];
  const cursors: string[] = [];
  for (const q of queries) {
    const page = await (await fetch(address + q, { headers: { authorization } })).json() as { items: unknown[]; nextCursor: string | null };
    if (page.items.length !== 50 || !page.nextCursor) throw new Error(`${q}: expected a full page with a cursor`);
    cursors.push(`${q}&cursor=${page.nextCursor}`);
  }
  const urls = [...queries, ...cursors];
  for (let i = 0; i < 50; i++) await (await fetch(address + urls[i % urls.length], { headers: { authorization } })).arrayBuffer(); // warm-up
  const times: number[] = [];
  const perQuery = urls.map(() => [] as number[]);
  for (let i = 0; i < PAGE_REQUESTS; i++) {
    const t0 = performance.now();
    const res = await fetch(address + urls[i % urls.length], { headers: { authorization } });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    times.push(ms);
    perQuery[i % urls.length].push(ms);
    if (res.status !== 200) throw new Error(`GET ${urls[i % urls.length]}: ${res.status}`);
  }
  times.sort((a, b) => a - b);
  const byQuery = urls.map((url, i) => {
    const sorted = perQuery[i].sort((a, b) => a - b);
    return { url: url.replace(/cursor=[^&]+/, 'cursor=…'), p50_ms: Number(quantile(sorted, 0.5).toFixed(2)), p99_ms: Number(quantile(sorted, 0.99).toFixed(2)) };
  });
  for (const q of byQuery) console.log(`  ${q.p50_ms} / ${q.p99_ms} ms  ${q.url}`);
  const p50 = quantile(times, 0.5), p99 = quantile(times, 0.99);
  console.log(`GET /v1/runs page of 50: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over ${PAGE_REQUESTS} requests (goal p99 ≤ 50 ms)`);

  const result = {
    enqueue_experiments_per_s: Number(enqueuePerS.toFixed(2)),
    runs_page_p50_ms: Number(p50.toFixed(2)),
    runs_page_p99_ms: Number(p99.toFixed(2)),
    runs,
    loss_points: lossPoints,
    details: {
      command: 'node --import tsx bench/api.ts',
      access: 'on: an API key on every request (its row read each time), the per-key rate limiter in Redis',
      experiments: EXPERIMENTS, runs_per_experiment: 20, concurrency: CONCURRENCY, page_requests: PAGE_REQUESTS, by_query: byQuery,
      machine: `${(await import('node:os')).cpus().length} cores, node ${process.version}`,
      date: new Date().toISOString(),
      load_average_1m: Number((await import("node:os")).loadavg()[0].toFixed(2)),
    },
  };
  await writeFile(new URL('./results/api.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
} finally {
  await app.close();
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
  await deleteKeysWithPrefix(redis, `${prefix}-rate-limit`);
  await redis.quit();
  limiterRedis.disconnect();
  await db.close();
  await database.drop();
  await rm(blobDir, { recursive: true, force: true });
}
