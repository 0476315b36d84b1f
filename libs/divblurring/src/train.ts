/**
 * The training loop: budget (steps or wall-clock minutes), progress, checkpoints, and automatic
 * restart under a new seed when the posterior collapses (KL per pixel below the threshold after
 * warm-up), as DivNoising does.
 */
import { availableParallelism } from 'node:os';
import { activeBackend, type ConvPrecision } from './backend.ts';
import type { Checkpoint } from './checkpoint.ts';
import { DivblurConfigError, TrainingError } from './errors.ts';
import { estimateStackNoiseSigma, resolveNoiseModel, type NoiseModel } from './imaging.ts';
import { ALL_TRANSFORMS } from './data.ts';
import { checkpointHyperparameters, resolveHyperparameters, type Hyperparameters, type TrainOptions } from './options.ts';
import { buildTrainer, dataFingerprint, type StepLoss, type Trainer } from './trainer.ts';
import type { TrainedModel } from './trained-model.ts';

export interface Progress {
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: StepLoss;
  readonly learningRate: number;
  readonly samplesPerSecond: number;
  readonly etaSeconds: number;
}

export interface LossPoint extends StepLoss {
  readonly step: number;
  readonly learningRate: number;
}

export interface CollapseEvent {
  readonly attempt: number;
  readonly seed: number;
  readonly step: number;
  readonly klPerPixel: number;
}

export interface TrainHooks {
  onProgress?(progress: Progress): void;
  onCheckpoint?(checkpoint: Checkpoint): Promise<void> | void;
  /** Aborting stops after the current step; the result then has aborted = true. */
  signal?: AbortSignal;
  log?(message: string, fields: Record<string, unknown>): void;
  /**
   * Data-parallel shards (data-parallel.ts): 'auto' (the default) = one per core, up to 8 and dividing the batch, where
   * the native engine runs (the fast path on CPUs: bench/train-speed.ts); 1 = one thread of JavaScript, oneDNN on
   * every core. The result is the same up to the order of float sums.
   */
  shards?: number | 'auto';
}

export interface TrainResult {
  readonly model: TrainedModel;
  readonly history: LossPoint[];
  readonly collapses: CollapseEvent[];
  readonly steps: number;
  readonly trainSeconds: number;
  readonly backend: string;
  readonly layout: TrainLayout;
  readonly aborted: boolean;
}

/** Thrown when the posterior collapsed on every attempt. */
export class PosteriorCollapseError extends TrainingError {
  constructor(readonly collapses: CollapseEvent[]) {
    super(`posterior collapse on all ${collapses.length} attempts (KL per pixel ${collapses.map((c) => c.klPerPixel.toExponential(2)).join(', ')}): raise freeBitsNats or klHoldFraction`);
  }
}

/** Steps used for the speed estimate of a wall-clock budget. */
const TIMING_STEPS = 3;

/** The report's σ (given or estimated), or the noise model asked for, resolved on the training images. */
function knownNoise(options: TrainOptions): number | NoiseModel {
  const spec = options.noiseModel;
  if (spec === undefined) {
    if (options.noiseSigma !== undefined) return options.noiseSigma;
    const estimated = estimateStackNoiseSigma(options.images);
    if (!(estimated > 0)) throw new DivblurConfigError('noiseSigma could not be estimated (noise-free images?): give it explicitly');
    return estimated;
  }
  if (options.noiseSigma !== undefined) {
    if (spec === 'estimate' || spec.kind !== 'gaussian' || (spec.sigma !== undefined && spec.sigma !== options.noiseSigma)) {
      throw new DivblurConfigError(`give noiseSigma ${options.noiseSigma} or noiseModel ${JSON.stringify(spec)}, not both`);
    }
    return resolveNoiseModel(options.images, { ...spec, sigma: options.noiseSigma }).model;
  }
  return resolveNoiseModel(options.images, spec).model;
}

function checkResume(options: TrainOptions, checkpoint: Checkpoint): void {
  const now = dataFingerprint(options.images);
  const then = checkpoint.dataFingerprint;
  if (now.count !== then.count || now.height !== then.height || now.width !== then.width || now.sum !== then.sum) {
    throw new DivblurConfigError('the checkpoint was made on other training data; resume needs the same images');
  }
}

/** The hyper-parameters a training with these options runs under: the checkpoint's on resume, else the options' with defaults. */
export function trainHyperparameters(options: TrainOptions): Hyperparameters {
  const resume = options.resumeFrom;
  if (resume) checkResume(options, resume);
  return resume ? checkpointHyperparameters(resume.hyperparameters) : resolveHyperparameters(options, knownNoise(options));
}

/** The shards 'auto' picks: one per core (≤ 8) dividing the batch, on the native engine only; else 1. */
export function autoShards(batchSize: number, engine = activeBackend()?.engine ?? '', cores = availableParallelism()): number {
  if (!engine.startsWith('native:')) return 1;
  for (let shards = Math.min(cores, 8, batchSize); shards > 1; shards--) if (batchSize % shards === 0) return shards;
  return 1;
}

/** The thread layout a training runs with, for logs and the model's training record. */
export interface TrainLayout {
  readonly engine: string;
  readonly shards: number;
  readonly threadsPerShard: number;
  readonly convPrecision: ConvPrecision;
}

/** A trainer on `shards` threads (data-parallel.ts) or this one; resumes when options.resumeFrom is set. */
export async function createLayoutTrainer(options: TrainOptions, hyper: Hyperparameters, shardsWanted: number | 'auto' = 'auto',
  log?: TrainHooks['log']): Promise<{ trainer: Trainer; layout: TrainLayout }> {
  const backend = activeBackend();
  const engine = backend?.engine ?? 'unknown';
  const convPrecision = backend?.convPrecision ?? 'f32';
  const shards = shardsWanted === 'auto' ? autoShards(hyper.batchSize) : shardsWanted;
  if (!Number.isInteger(shards) || shards < 1) throw new DivblurConfigError(`shards must be 'auto' or an integer ≥ 1, got ${shardsWanted}`);
  const addon = engine.startsWith('native:') ? (await import('@divblur/tfjs-native')).loadAddon() : null;
  if (shards === 1) {
    return { trainer: createTrainer(options, hyper), layout: { engine, shards: 1, threadsPerShard: addon?.threads() ?? 1, convPrecision } };
  }
  if (!addon) throw new DivblurConfigError(`data-parallel training (${shards} shards) needs the native engine, not ${engine}`);
  const { createDataParallelTrainer } = await import('./data-parallel.ts');
  const setThreads = (threads: number): number => {
    const before = addon.threads();
    addon.setThreads(threads);
    return before;
  };
  try {
    const trainer = await createDataParallelTrainer(options, hyper, hyper.steps ?? 1000, { shards, convPrecision, setThreads }, options.resumeFrom);
    return { trainer, layout: { engine, shards, threadsPerShard: 1, convPrecision } };
  } catch (error) {
    // Asked for by number: the caller learns it cannot be had. Chosen by 'auto': the run still trains, on one thread
    // of JavaScript with oneDNN on every core (the same result up to float order), and the log says why.
    if (shardsWanted !== 'auto' || !(error instanceof TrainingError)) throw error;
    log?.(`data-parallel training unavailable (${error.message}): training on 1 shard`, { shards, error: error.message });
    return { trainer: createTrainer(options, hyper), layout: { engine, shards: 1, threadsPerShard: addon.threads(), convPrecision } };
  }
}

/** A trainer for one step at a time (speed benchmarks, custom loops); resumes when options.resumeFrom is set. */
export function createTrainer(options: TrainOptions, hyper: Hyperparameters = trainHyperparameters(options)): Trainer {
  return buildTrainer(options, hyper, hyper.steps ?? 1000, options.resumeFrom);
}

async function yieldToEventLoop(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

export async function trainModel(options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const collapses: CollapseEvent[] = [];
  const base = trainHyperparameters(options);
  const { augmentations } = base;
  if (augmentations.length < ALL_TRANSFORMS.length) {
    const why = options.augmentations === undefined && !options.resumeFrom ? 'the ones the PSF is symmetric under' : 'as asked';
    hooks.log?.(`augmenting with ${augmentations.length} of the 8 turns and mirrors: ${why} (transforms [${augmentations.join(', ')}])`, { augmentations });
  }
  for (let attempt = 0; attempt <= base.maxRestarts; attempt++) {
    const seed = base.seed + 1000 * attempt;
    const attemptOptions = attempt === 0 ? options : { ...options, resumeFrom: undefined, seed };
    const { trainer, layout } = await createLayoutTrainer(attemptOptions, attempt === 0 ? base : trainHyperparameters(attemptOptions), hooks.shards, hooks.log);
    if (attempt === 0) {
      hooks.log?.(`training on ${layout.engine}: ${layout.shards} shard${layout.shards > 1 ? 's' : ''} × ${layout.threadsPerShard} thread${layout.threadsPerShard > 1 ? 's' : ''}, ${layout.convPrecision} convolutions`, { ...layout });
    }
    const started = performance.now();
    const history: LossPoint[] = [];
    const deadline = base.minutes === null ? Infinity : started + base.minutes * 60_000;
    let aborted = false;
    try {
      while (trainer.step < trainer.totalSteps && performance.now() < deadline) {
        if (hooks.signal?.aborted) {
          aborted = true;
          break;
        }
        const loss = trainer.train(trainer.nextBatch());
        history.push({ step: trainer.step, learningRate: trainer.learningRate, ...loss });
        const seconds = (performance.now() - started) / 1000;
        if (base.minutes !== null && history.length === TIMING_STEPS) {
          trainer.totalSteps = Math.max(trainer.step + 1, Math.floor((base.minutes * 60 * history.length) / seconds));
        }
        const stepsPerSecond = history.length / seconds;
        hooks.onProgress?.({
          step: trainer.step,
          totalSteps: trainer.totalSteps,
          loss,
          learningRate: trainer.learningRate,
          samplesPerSecond: stepsPerSecond * base.batchSize,
          etaSeconds: (trainer.totalSteps - trainer.step) / stepsPerSecond,
        });
        if (base.checkpointEverySteps > 0 && trainer.step % base.checkpointEverySteps === 0) await hooks.onCheckpoint?.(trainer.checkpoint());
        if (trainer.collapsed) break;
        await yieldToEventLoop();
      }
      if (trainer.collapsed) {
        collapses.push({ attempt, seed, step: trainer.step, klPerPixel: trainer.recentKlPerPixel });
        hooks.log?.('posterior collapse: restarting under a new seed', collapses[collapses.length - 1] as unknown as Record<string, unknown>);
        continue;
      }
      // The last state is always checkpointed (when checkpoints are on), so a finished or aborted run can be resumed or extended.
      if (base.checkpointEverySteps > 0 && trainer.step % base.checkpointEverySteps !== 0) await hooks.onCheckpoint?.(trainer.checkpoint());
      const trainSeconds = (performance.now() - started) / 1000;
      const backend = layout.engine;
      return {
        model: trainer.model({ trainSeconds, backend, layout, collapses }),
        history,
        collapses,
        steps: trainer.step,
        trainSeconds,
        backend,
        layout,
        aborted,
      };
    } finally {
      trainer.dispose();
    }
  }
  throw new PosteriorCollapseError(collapses);
}
