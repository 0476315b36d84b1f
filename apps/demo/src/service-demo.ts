/**
 * The service end to end (`npm run demo`). Migrates a database of its own, starts the API, the trainer
 * and the inference worker, then, through the public HTTP API like a LIMS: creates a synthetic
 * dataset1, posts an experiment with a λ sweep, follows it, prints the comparison table (runs and the
 * classical baselines) and saves the plot.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { loadConfig } from '@divblur/config';
import { createRedis, deleteKeysWithPrefix } from '@divblur/queue';
import { formatTable } from '@divblur/terminal';
import { LimsClient, type DatasetResponse, type ExperimentResponse, type RunResponse } from './lims-client.ts';
import { comparisonRows, follow, waitUntil, type DemoRow } from './follow-experiment.ts';
import { createApiKey, migrateDatabase, startServices } from './service-processes.ts';
import { trainingBackendLine } from './training-backend.ts';

export interface ServiceDemoOptions {
  /** Logs, the local blob store and the saved plot go here. */
  out: string;
  /** Postgres database of the demo on the configured server (created if missing). */
  database: string;
  /** Redis key prefix of the demo; its keys are cleared at the start (the demo owns it). */
  queuePrefix: string;
  images: number;
  imageSize: number;
  seed: number;
  penalty: 'l1' | 'l2' | 'positivity' | 'positivity_l1';
  lambdas: readonly number[];
  kappa?: number;
  network?: Record<string, unknown>;
  training: { steps: number; patchSize: number; batchSize: number };
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  print?: (text: string) => void;
  /** Aborted on Ctrl-C: the experiment is cancelled and the services stopped. */
  signal?: AbortSignal;
}

export type { DemoRow };
export interface ServiceDemoResult { experimentId: string; rows: DemoRow[]; svgPath: string; seconds: number }

/**
 * The report's network and 64² patches, a short budget (150 steps of 16 patches, a fortieth of the report's),
 * and the l1 penalty λ Σ|x| (x in data units) over a decade and a half of λ: from the best of the four to
 * over-regularised (the posterior collapses from λ = 30 on; README, "The demo").
 */
export const DEMO_DEFAULTS: ServiceDemoOptions = {
  out: 'demo-out', database: 'divblur_demo', queuePrefix: 'divblur-demo',
  images: 40, imageSize: 128, seed: 1,
  penalty: 'l1', lambdas: [3, 10, 30, 100],
  training: { steps: 150, patchSize: 64, batchSize: 16 },
};

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, host, done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function clearPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl);
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export async function runServiceDemo(options: ServiceDemoOptions): Promise<ServiceDemoResult> {
  const started = performance.now();
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  const { signal } = options;
  const out = resolve(options.out);
  const logDir = join(out, 'logs');
  await mkdir(logDir, { recursive: true });

  // The service's own config loading, on the demo's database, prefix, blob folder and free ports.
  const base = loadConfig();
  const host = base.host === '0.0.0.0' ? '127.0.0.1' : base.host;
  const databaseUrl = new URL(base.databaseUrl);
  databaseUrl.pathname = `/${options.database}`;
  const env = {
    // oneDNN's OpenMP threads sleep instead of spinning when they wait: on 2 cores shared with other work (or with
    // the demo's own evaluations) a training step took 2.8 s spinning and 1.0 s passive (15 steps, 64², batch 16).
    OMP_WAIT_POLICY: 'PASSIVE',
    ...process.env, DATABASE_URL: databaseUrl.toString(), QUEUE_PREFIX: options.queuePrefix, BLOB_DIR: join(out, 'blobs'),
    API_PORT: String(await freePort(host)), INFERENCE_PORT: String(await freePort(host)),
  };
  const config = loadConfig(env);
  print(`divblur service demo: database ${options.database}, Redis prefix ${config.queuePrefix}, logs in ${logDir}/\n`);
  print(await trainingBackendLine(config));
  await clearPrefix(config.redisUrl, config.queuePrefix);
  await migrateDatabase(env, logDir);
  // The LIMS's key (read and write; printed once by the CLI, kept in memory here): every /v1 call sends it.
  const key = await createApiKey(env, logDir, 'demo LIMS', ['read', 'write']);
  print(`API key: created with divblur keys create --name "demo LIMS" --scopes read,write (${key.slice(0, 20)}…)\n`);

  const services = startServices(env, logDir);
  let experimentId: string | undefined;
  const api = new LimsClient(`http://${host}:${config.apiPort}`, key);
  try {
    await waitUntil(services, signal, 180_000, 'the API and the inference service to be ready', async () =>
      (await api.ready()) && (await new LimsClient(`http://${host}:${config.inferencePort}`).ready()));
    print(`services up: API ${api.baseUrl} (OpenAPI UI at /docs), inference http://${host}:${config.inferencePort}, trainer\n`);

    const dataset = await api.send<DatasetResponse>('POST', '/v1/datasets', {
      name: `demo dataset1 (seed ${options.seed})`,
      synthetic: { preset: 'dataset1', n: options.images, seed: options.seed, size: options.imageSize },
    });
    print(`POST /v1/datasets → ${dataset.id}: ${dataset.count} simulated dataset1 images of ${dataset.width}², σ ${dataset.noiseSigma}\n`);
    const posted = await api.send<{ experiment: ExperimentResponse; runs: RunResponse[] }>('POST', '/v1/experiments', {
      datasetId: dataset.id,
      spec: {
        method: 'divblurring', penalty: options.penalty, ...(options.kappa === undefined ? {} : { kappa: options.kappa }),
        network: options.network ?? {}, training: options.training,
      },
      sweep: { lambda: options.lambdas },
    }, { 'idempotency-key': `demo-${dataset.id}` });
    experimentId = posted.experiment.id;
    print(`POST /v1/experiments → ${experimentId}: ${posted.runs.length} runs, penalty ${options.penalty}, `
      + `λ ∈ {${options.lambdas.join(', ')}}, ${options.training.steps} steps each\n`);

    await follow(api, services, experimentId, { runs: posted.runs.length, steps: options.training.steps, progress: options.progress !== false, print, signal });
    const rows = await comparisonRows(api, services, experimentId, signal);
    print('\n' + formatTable(['λ', 'penalty / method', 'psnr_mmse (dB)', 'psnr_samples (dB)', 'SSIM'],
      rows.map((r) => [r.lambda ?? '-', r.label, r.psnrMmse ?? '-', r.psnrSamples ?? '-', r.ssim ?? '-']), [0, 0, 2, 2, 3]) + '\n');
    const svg = await api.send<string>('GET', `/v1/experiments/${experimentId}/compare?format=svg&metric=psnr_mmse`);
    const svgPath = join(out, `experiment-${experimentId.slice(0, 8)}-psnr_mmse.svg`);
    await writeFile(svgPath, svg);
    print(`\nplot: ${svgPath} (GET /v1/experiments/${experimentId}/compare?format=svg)\n`);
    return { experimentId, rows, svgPath, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    if (signal?.aborted && experimentId !== undefined) {
      await api.send('POST', `/v1/experiments/${experimentId}/cancel`).catch(() => undefined);
      print(`\ncancelled experiment ${experimentId}\n`);
    }
    throw error;
  } finally {
    await services.stop(signal?.aborted ? 5_000 : 15_000);
    print(`services stopped; ${((performance.now() - started) / 1000).toFixed(0)} s in all\n`);
  }
}
