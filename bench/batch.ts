/**
 * Batch deconvolution throughput (issue 16): simulated dataset1 pages with ground truth, 512² and 2048² float32,
 * posted to POST /v1/deconvolutions (the API in-process) and deconvolved by inference worker processes started from
 * their main module on this machine's Postgres (a database of its own), Redis (a prefix of its own) and a local blob
 * store: 1 worker on both cores (ONNX Runtime's pool sized by the cores it may use: taskset -c 0,1) and 2 workers on
 * one core each (taskset -c 0 / -c 1), at 100 samples and at the default tolerance. A row per case:
 * { size, samples, tolerance, workers, threads_per_worker, pages, pages_per_hour, psnr, peak_rss_mb } with
 * samples the mean used per page, pages per hour from the first page's start to the last one's end, PSNR the mean
 * over the pages of the assembled output stack against the ground truth, peak RSS the largest worker's (VmHWM).
 *   node --import tsx bench/batch.ts --model DIR [--pages-512 4] [--pages-2048 1] [--sizes 512,2048]
 *     [--workers 1x2,2x1] [--modes samples,tolerance] [--memory-mb N] [--out bench/results/batch.json]
 * DIR: a saved model (bench/quality.ts --save-models, e.g. <dir>/dataset1-divblurring-positivity).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildApp, createBullmqBatchQueue, createBullmqExperimentQueue, DEFAULT_LIMITS, storeDataset, storeExperiment } from '@divblur/api';
import { batchProgress, manifestOf } from '@divblur/batch';
import { createLogger, loadConfig } from '@divblur/config';
import { DEFAULT_TOLERANCE_RANGE } from '@divblur/divblurring/mmse-core';
import { openDatabase } from '@divblur/db';
import { createTestDatabase } from '@divblur/db/testing';
import { decodeTiff, encodeTiff, psnr, simulate, stackImage, toStack } from '@divblur/imaging';
import { createProducerRedis, createRedis, deleteKeysWithPrefix, ExperimentSpec } from '@divblur/queue';
import { issueApiKey } from '@divblur/http/api-key';
import { Value } from '@sinclair/typebox/value';
import { createBlobStore } from '@divblur/storage';
import { exportModelDirToBlobs } from '@divblur/trainer';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    'pages-512': { type: 'string', default: '4' },
    'pages-2048': { type: 'string', default: '1' },
    sizes: { type: 'string', default: '512,2048' },
    workers: { type: 'string', default: '1x2,2x1' },
    modes: { type: 'string', default: 'samples,tolerance' },
    /** The batches' memory budget (MiB); default the MMSE core's. */
    'memory-mb': { type: 'string' },
    out: { type: 'string', default: 'bench/results/batch.json' },
  },
});
if (!args.model) throw new Error('--model DIR: a saved model (bench/quality.ts --save-models)');
const command = `node --import tsx bench/batch.ts ${process.argv.slice(2).join(' ')}`;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Row {
  size: number; samples: number; tolerance: string; workers: number; threads_per_worker: number; pages: number;
  pages_per_hour: number; psnr: number; peak_rss_mb: number; tiles_per_page: number; seconds: number;
}

// The service: a database, a prefix and a blob store of the bench's own; the API in this process.
const database = await createTestDatabase();
const blobDir = await mkdtemp(join(tmpdir(), 'divblur-bench-batch-'));
const env: NodeJS.ProcessEnv = {
  ...process.env, DATABASE_URL: database.url, QUEUE_PREFIX: `divblur-bench-batch-${randomBytes(3).toString('hex')}`,
  BLOB_STORE: 'local', BLOB_DIR: blobDir, LOG_LEVEL: 'warn', NODE_ENV: 'test', OMP_NUM_THREADS: '1',
};
const config = loadConfig(env);
const logger = createLogger({ logLevel: 'silent' }, { name: 'bench-batch' });
const repos = openDatabase(config, { maxConnections: 4, logger });
const blobs = createBlobStore(config.blobStore);
const redis = createRedis(config.redisUrl);
const batchQueue = createBullmqBatchQueue(redis, config.queuePrefix);
const experimentQueue = createBullmqExperimentQueue(redis, config.queuePrefix);
const limiterRedis = createProducerRedis(config.redisUrl);
const app = await buildApp({
  logger, db: repos, blobs, queues: experimentQueue, s3Import: async () => { throw new Error('no S3 in the bench'); },
  readiness: { postgres: () => repos.ping(), redis: async () => { await redis.ping(); }, blobStore: async () => undefined },
  metricsSources: { queueDepths: async () => ({}), jobDurations: async () => ({}) },
  batches: { queue: batchQueue, listS3: async () => [], callbacksSigned: false },
  access: { config: config.access, redis: limiterRedis, rateLimitNamespace: `${config.queuePrefix}-rate-limit:` },
});
// Access control is on, as in production: the batch is posted with a key.
const { key } = await issueApiKey(repos, { name: 'bench', scopes: ['read', 'write'] });

// The model as the trainer serves one: a run of an experiment on a dataset, trained, evaluated, its blobs and row.
const seedData = simulate({ preset: 'dataset1', count: 2, size: 64, seed: 1 });
const dataset = await storeDataset({ db: repos, blobs }, {
  noisy: encodeTiff(seedData.noisy), gt: encodeTiff(seedData.groundTruth), psf: encodeTiff(toStack([seedData.psf])),
}, { name: 'bench', noiseSigma: seedData.noiseSigma }, 'synthetic');
const { runs } = await storeExperiment(repos, {
  datasetId: dataset.id, spec: Value.Default(ExperimentSpec, { network: {}, training: { steps: 1 } }) as ExperimentSpec, idempotencyKey: null,
}, DEFAULT_LIMITS);
const runId = runs[0].id;
await repos.runs.start((await repos.runs.forTraining(runId))!);
await repos.runs.trained(runId, { steps: 1, trainMs: 1, noiseSigma: seedData.noiseSigma });
const model = await exportModelDirToBlobs(repos.models, blobs, runId, args.model, {});
await repos.metrics.recordEvaluation(runId, model.id, 'heldout', { psnrMmse: null, psnrSamples: null, ssim: null, discrepancy: null, meanStd: null, samples: 100 }, 1);

interface Worker { child: ChildProcess; exited: Promise<void>; peakRssMb: () => number }
function startWorker(cores: string): Worker {
  const child = spawn('taskset', ['-c', cores, process.execPath, '--import', 'tsx', join(ROOT, 'apps/inference/src/main.ts')], {
    cwd: ROOT, env: { ...env, INFERENCE_PORT: '0' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  // VmHWM is the process's peak resident set; read it while it runs (it is gone once the process exits).
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch { /* exited */ }
  }, 500);
  const exited = new Promise<void>((done) => child.once('exit', () => { clearInterval(timer); done(); }));
  return { child, exited, peakRssMb: () => peak };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function runCase(size: number, pages: number, mode: string, layout: string): Promise<Row> {
  const [workerCount, threads] = layout.split('x').map(Number);
  const simulation = simulate({ preset: 'dataset1', count: pages, size, seed: 7 });
  const options = {
    samples: 100, tolerance: mode === 'samples' ? 'none' : 'default',
    ...(args['memory-mb'] === undefined ? {} : { memoryBudgetBytes: Number(args['memory-mb']) * 2 ** 20 }),
  };
  const form = new FormData();
  form.append('modelId', model.id);
  form.append('options', JSON.stringify(options));
  form.append('inputs', new Blob([encodeTiff(simulation.noisy)]), `pages-${size}.tif`);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  const workers = Array.from({ length: workerCount }, (_, i) => startWorker(workerCount === 1 ? `0-${threads - 1}` : String(i % availableParallelism())));
  const started = performance.now();
  const response = await app.inject({ method: 'POST', url: '/v1/deconvolutions', payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')!, authorization: `Bearer ${key}` } });
  if (response.statusCode !== 202) throw new Error(`POST /v1/deconvolutions: ${response.statusCode} ${response.body}`);
  const id = response.json().id as string;
  const batch = await until('the batch to settle', async () => { const b = await repos.batches.get(id); return b?.finishedAt ? b : undefined; }, 3 * 3600_000);
  const seconds = (performance.now() - started) / 1000;
  await new Promise((done) => setTimeout(done, 600));
  const peakRssMb = Math.max(...workers.map((w) => w.peakRssMb()));
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  if (batch.status !== 'succeeded') throw new Error(`batch ${id} ${batch.status}: ${batch.error}`);
  const [inputs, tasks] = await Promise.all([repos.batches.inputs(id), repos.batches.tasks(id)]);
  const progress = batchProgress(inputs, tasks);
  const manifest = manifestOf(inputs, tasks);
  const output = decodeTiff(await blobs.getBuffer(inputs[0].outputKey!)).stack;
  const psnrs = Array.from({ length: pages }, (_, i) => psnr(stackImage(simulation.groundTruth, i), stackImage(output, i)));
  const tolerance = mode === 'samples' ? 'none' : `${DEFAULT_TOLERANCE_RANGE}·range`;
  const row: Row = {
    size, samples: manifest.pages.reduce((s, p) => s + (p.samplesUsed ?? 0), 0) / pages, tolerance, workers: workerCount, threads_per_worker: threads,
    pages, pages_per_hour: progress.pagesPerHour ?? 0, psnr: psnrs.reduce((a, b) => a + b, 0) / pages, peak_rss_mb: Math.round(peakRssMb),
    tiles_per_page: tasks.length / pages, seconds,
  };
  console.error(JSON.stringify(row));
  return row;
}

const rows: Row[] = [];
const save = async (complete: boolean) => {
  await mkdir(dirname(args.out!), { recursive: true });
  await writeFile(args.out!, JSON.stringify({ command, cores: availableParallelism(), cpu: cpus()[0]?.model, complete, rows }, null, 1) + '\n');
};
try {
  for (const size of args.sizes!.split(',').map(Number)) {
    const pages = Number(size === 2048 ? args['pages-2048'] : args['pages-512']);
    for (const mode of args.modes!.split(',')) {
      for (const layout of args.workers!.split(',')) {
        rows.push(await runCase(size, pages, mode, layout));
        await save(false);
      }
    }
  }
  await save(true);
  const table = [
    'size  samples  tolerance  workers×threads  pages  pages/h  psnr   peak RSS MB  tiles/page  seconds',
    ...rows.map((r) => `${String(r.size).padEnd(5)} ${r.samples.toFixed(1).padStart(7)}  ${r.tolerance.padEnd(9)}  ${`${r.workers}×${r.threads_per_worker}`.padEnd(15)}  ${String(r.pages).padStart(5)}  ${r.pages_per_hour.toFixed(1).padStart(7)}  ${r.psnr.toFixed(2)}  ${String(r.peak_rss_mb).padStart(11)}  ${String(r.tiles_per_page).padStart(10)}  ${r.seconds.toFixed(0).padStart(7)}`),
  ];
  console.log(table.join('\n'));
  await writeFile(args.out!.replace(/\.json$/, '.md'), ['# Batch deconvolution throughput', '', `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores, ${cpus()[0]?.model}).`, '', '```', ...table, '```', ''].join('\n'));
  console.log(`wrote ${args.out}`);
} finally {
  await app.close();
  await batchQueue.close();
  await experimentQueue.close();
  await deleteKeysWithPrefix(redis, config.queuePrefix);
  redis.disconnect();
  limiterRedis.disconnect();
  await repos.close();
  await database.drop();
  await blobs.close();
  await rm(blobDir, { recursive: true, force: true });
}
