/**
 * A small λ sweep trained and evaluated the way production does it, for the tests that look at results (the compare
 * report's recommendation, the images as PNG, the page in a browser): the API wired as in production (wireDeps,
 * buildApp) takes the experiment over HTTP on the service harness's tiny dataset1 (made by storeDataset), the
 * trainer trains each run in its sandboxed child, the inference worker evaluates it (metrics, kept MMSE/std images,
 * baselines). Tiny network, few steps, 32² images: seconds per run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { buildApp, wireDeps, type ApiApp, type WiredDeps } from '@divblur/api';
import { startTrainer, type RunningTrainer } from '@divblur/trainer';
import { createInferenceServices, startInferenceWorker, type InferenceServices } from '@divblur/inference';
import { createServiceHarness, tinySpec, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';
import { sendKeyByDefault } from './test-keys.ts';

export interface TrainedSweep {
  harness: ServiceHarness;
  api: ApiApp;
  /** The admin key the api's inject sends. */
  key: string;
  experimentId: string;
  runIds: string[];
  close(): Promise<void>;
}

export interface SweepOptions {
  penalties: readonly string[];
  lambdas: readonly number[];
  steps: number;
  /** Posterior samples per held-out image in the evaluation (default 100, the service's). */
  evaluationSamples?: number;
}

export async function trainSweep({ penalties, lambdas, steps, evaluationSamples }: SweepOptions): Promise<TrainedSweep> {
  const harness = await createServiceHarness();
  let wired: WiredDeps | undefined;
  let trainer: RunningTrainer | undefined;
  let inference: InferenceServices | undefined;
  let worker: Worker | undefined;
  let modelCacheDir: string | undefined;
  let api: ApiApp | undefined;
  const close = async () => {
    await api?.close();
    await worker?.close();
    await trainer?.close();
    await inference?.close();
    await wired?.close();
    await harness.close();
    if (modelCacheDir) await rm(modelCacheDir, { recursive: true, force: true });
  };
  try {
    wired = wireDeps(harness.config, harness.logger);
    api = await buildApp(wired.deps);
    const { key } = await sendKeyByDefault(api, wired.deps.db);
    await api.ready();
    trainer = startTrainer(harness.config, harness.logger);
    modelCacheDir = await mkdtemp(join(tmpdir(), 'divblur-sweep-models-'));
    inference = createInferenceServices(harness.config, harness.logger, { modelCacheDir });
    worker = startInferenceWorker(inference, evaluationSamples === undefined ? {} : { evaluationSamples });

    const spec = { ...tinySpec(tinyTraining(steps, steps)), method: 'divblurring' };
    const created = await api.inject({
      method: 'POST', url: '/v1/experiments',
      payload: { datasetId: harness.datasetId, spec, sweep: { penalty: [...penalties], lambda: [...lambdas] } },
    });
    if (created.statusCode !== 201) throw new Error(`POST /v1/experiments: ${created.statusCode} ${created.body}`);
    const experimentId: string = created.json().experiment.id;
    const runIds: string[] = created.json().runs.map((run: { id: string }) => run.id);
    const app = api;
    await waitFor('every run of the sweep to be trained and evaluated', async () => {
      const runs = (await app.inject({ method: 'GET', url: `/v1/runs?experimentId=${experimentId}&limit=100` })).json().items as Array<{ status: string; error: string | null }>;
      const failed = runs.find((run) => run.status === 'failed');
      if (failed) throw new Error(`a run failed: ${failed.error}`);
      return runs.length === runIds.length && runs.every((run) => run.status === 'succeeded') ? true : undefined;
    }, 240_000 + steps * runIds.length * 300);
    return { harness, api, key, experimentId, runIds, close };
  } catch (error) {
    await close();
    throw error;
  }
}
