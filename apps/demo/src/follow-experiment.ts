/**
 * Following an experiment as a LIMS would, by polling the public API: a progress line (steps trained,
 * runs done, ETA) until the experiment is settled, then the comparison table of its λ sweep with the
 * dataset's classical baselines (GET /v1/experiments/:id/compare, one metric at a time).
 */
import type { CompareResponse, ExperimentResponse, LimsClient, RunResponse } from './lims-client.ts';
import type { RunningServices } from './service-processes.ts';
import { BASELINE_LABELS } from './baseline-labels.ts';

export interface DemoRow { label: string; lambda: number | null; psnrMmse: number | null; psnrSamples: number | null; ssim: number | null }

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Minutes and seconds, e.g. `3m05s`. */
function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * One status line on stderr: redrawn in place on a terminal, else printed every 10 s. The ETA is the
 * training rate so far (exports and evaluations in between included) applied to the steps left.
 */
function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  let firstStep: { at: number; steps: number } | undefined;
  let printedAt = 0;
  return {
    update(steps: number, totalSteps: number, runsDone: number, runs: number) {
      const now = Date.now();
      if (firstStep === undefined && steps > 0) firstStep = { at: now, steps };
      const rate = firstStep && steps > firstStep.steps ? (steps - firstStep.steps) / (now - firstStep.at) : 0;
      const eta = steps >= totalSteps ? 'evaluating' : rate > 0 ? `ETA ${duration((totalSteps - steps) / rate)}` : 'ETA …';
      const line = `training: ${steps}/${totalSteps} steps · runs done ${runsDone}/${runs} · ${eta}`;
      if (stream.isTTY) stream.write(`\r${line}\x1b[K`);
      else if (now - printedAt >= 10_000) {
        stream.write(`${line}\n`);
        printedAt = now;
      }
    },
    stop() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export async function waitUntil(services: RunningServices, signal: AbortSignal | undefined, timeoutMs: number, what: string,
  check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    services.check();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}

export interface FollowOptions {
  runs: number;
  /** Training steps per run. */
  steps: number;
  progress: boolean;
  print: (text: string) => void;
  signal?: AbortSignal;
}

/** Polls the experiment and its runs until the experiment is settled (its runs trained and evaluated). */
export async function follow(api: LimsClient, services: RunningServices, experimentId: string, options: FollowOptions): Promise<void> {
  const totalSteps = options.runs * options.steps;
  const bar = options.progress ? progressLine() : null;
  let runs: RunResponse[] = [];
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      services.check();
      const experiment = await api.send<ExperimentResponse>('GET', `/v1/experiments/${experimentId}`);
      runs = (await api.send<{ items: RunResponse[] }>('GET', `/v1/runs?experimentId=${experimentId}&limit=500`)).items;
      const steps = runs.reduce((sum, r) => sum + Math.round(r.progress * options.steps), 0);
      const done = runs.filter((r) => r.psnrMmse !== null || r.status === 'failed' || r.status === 'cancelled').length;
      bar?.update(steps, totalSteps, done, options.runs);
      if (FINAL.has(experiment.status)) break;
      await sleep(1000);
    }
  } finally {
    bar?.stop();
  }
  const failed = runs.filter((r) => r.status !== 'succeeded');
  for (const run of failed) options.print(`run λ=${run.lambda}: ${run.status}: ${run.error ?? ''}\n`);
  if (failed.length === runs.length) throw new Error(`no run of experiment ${experimentId} succeeded (see the trainer's log)`);
}

/** The sweep table: one row per λ (GET …/compare, one metric at a time), then the RL/Wiener baselines. */
export async function comparisonRows(api: LimsClient, services: RunningServices, experimentId: string,
  signal: AbortSignal | undefined): Promise<DemoRow[]> {
  const compare = (metric: string) => api.send<CompareResponse>('GET', `/v1/experiments/${experimentId}/compare?x=lambda&metric=${metric}`);
  // Baselines are computed once per dataset, queued after the first evaluation: usually there already.
  await waitUntil(services, signal, 300_000, 'the RL/Wiener baselines', async () =>
    (await compare('psnr_mmse')).baselines.length >= Object.keys(BASELINE_LABELS).length);
  const [mmse, samples, ssim] = await Promise.all([compare('psnr_mmse'), compare('psnr_samples'), compare('ssim')]);
  const valueAt = (table: CompareResponse, row: { group: string; x: number }) =>
    table.rows.find((r) => r.group === row.group && r.x === row.x)?.value ?? null;
  const runRows = mmse.rows.map((row) => ({
    label: row.group, lambda: row.x, psnrMmse: row.value, psnrSamples: valueAt(samples, row), ssim: valueAt(ssim, row),
  }));
  // A classical estimate is one image, not samples: the API gives its PSNR for psnr_samples too.
  const baselineValue = (table: CompareResponse, method: string) => table.baselines.find((b) => b.method === method)?.value ?? null;
  const baselineRows = Object.keys(BASELINE_LABELS).map((method) => ({
    label: BASELINE_LABELS[method], lambda: null,
    psnrMmse: baselineValue(mmse, method), psnrSamples: baselineValue(samples, method), ssim: baselineValue(ssim, method),
  }));
  return [...runRows, ...baselineRows];
}
