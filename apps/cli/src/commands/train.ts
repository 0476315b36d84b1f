import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { estimateStackNoiseSigma, ParameterError, writeFileAtomic } from '@divblur/imaging';
import {
  CONV_PRECISIONS, DEFAULT_TRAIN_STEPS, initBackend, loadCheckpoint, saveCheckpoint, saveModel, trainModel, PENALTIES,
} from '@divblur/divblurring';
import type { BackendPreference, ConvPrecision, LossPoint, TrainOptions } from '@divblur/divblurring';
import { parseSpec, resolveSpec, toTrainOptions, type AugmentationChoice } from '@divblur/queue';
import { readPsf, readStack } from '../files.ts';
import { noiseOfFlags, type NoiseFlags } from '../noise-flags.ts';
import { createProgress } from '@divblur/terminal';

export interface TrainArgs extends NoiseFlags {
  data: string; psf?: string; method: string; penalty: string; lambda: number; kappa: number;
  steps?: number; minutes?: number; seed: number; out: string; batchSize?: number; patchSize?: number;
  output?: string; checkpointEvery?: number; resume: boolean; backend: string; convPrecision: string; shards: string;
  augment: AugmentationChoice;
}

/**
 * Trains a model on a noisy stack and writes into `out`: model.json + weights.bin (what `deconvolve` reads),
 * checkpoint/ (every --checkpoint-every steps and at the end; --resume continues from it), loss.csv.
 */
export async function trainCommand(args: TrainArgs): Promise<void> {
  if (args.method !== 'divblurring' && args.method !== 'divnoising') {
    throw new ParameterError('UNKNOWN_METHOD', `--method must be divblurring or divnoising, got '${args.method}'`);
  }
  if (!(PENALTIES as readonly string[]).includes(args.penalty)) {
    throw new ParameterError('UNKNOWN_PENALTY', `--penalty must be one of ${PENALTIES.join(', ')}, got '${args.penalty}'`);
  }
  if (args.method === 'divblurring' && !args.psf) {
    throw new ParameterError('PSF_REQUIRED', 'DivBlurring needs --psf (or use --method divnoising to denoise only)');
  }
  if (args.steps !== undefined && args.minutes !== undefined) {
    throw new ParameterError('BUDGET', 'give either --steps or --minutes, not both');
  }
  // The flags as an experiment spec, resolved and mapped onto TrainOptions exactly as a run of the service is;
  // checked before the data are read, then again with the noise the data need (noise-flags.ts).
  const spec = {
    method: args.method, penalty: args.penalty, lambda: args.lambda, kappa: args.kappa,
    ...(args.sigma === undefined ? {} : { noiseSigma: args.sigma }),
    network: args.output === undefined ? {} : { output: args.output },
    training: {
      ...(args.minutes === undefined ? { steps: args.steps ?? DEFAULT_TRAIN_STEPS } : { minutes: args.minutes }),
      seed: args.seed, augmentations: args.augment,
      ...(args.batchSize === undefined ? {} : { batchSize: args.batchSize }),
      ...(args.patchSize === undefined ? {} : { patchSize: args.patchSize }),
      ...(args.checkpointEvery === undefined ? {} : { checkpointEverySteps: args.checkpointEvery }),
    },
  };
  resolveSpec(parseSpec(spec));
  if (!['auto', ...CONV_PRECISIONS].includes(args.convPrecision)) {
    throw new ParameterError('CONV_PRECISION', `--conv-precision must be auto, ${CONV_PRECISIONS.slice(0, -1).join(', ')} or ${CONV_PRECISIONS.at(-1)}, got '${args.convPrecision}'`);
  }
  const shards = args.shards === 'auto' ? 'auto' : Number(args.shards);
  if (shards !== 'auto' && !(Number.isInteger(shards) && shards >= 1 && shards <= 64)) {
    throw new ParameterError('SHARDS', `--shards must be auto or an integer 1…64, got '${args.shards}'`);
  }
  const backend = await initBackend(args.backend as BackendPreference, (message, fields) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
    { convPrecision: args.convPrecision as ConvPrecision | 'auto' });
  const { stack, sourceDtype } = await readStack(args.data);
  const psf = args.method === 'divblurring' ? await readPsf(args.psf!) : null;
  const checkpointDir = join(args.out, 'checkpoint');
  const resumeFrom = args.resume && (await exists(join(checkpointDir, 'checkpoint.json'))) ? await loadCheckpoint(checkpointDir) : undefined;
  if (args.resume && !resumeFrom) process.stderr.write('no checkpoint to resume from: starting afresh\n');
  // On resume the checkpoint's noise is the one trained with; nothing is estimated again.
  const noise = resumeFrom ? {} : noiseOfFlags(args, stack, sourceDtype, (line) => process.stderr.write(`${line}\n`));
  const params = resolveSpec(parseSpec({ ...spec, ...noise }));
  const noiseSigma = 'noiseModel' in noise ? undefined : args.sigma ?? estimateStackNoiseSigma(stack);
  if (args.sigma === undefined && noiseSigma !== undefined && !resumeFrom) process.stderr.write(`noise σ estimated from the data: ${noiseSigma.toPrecision(4)}\n`);
  await mkdir(args.out, { recursive: true });

  const options: TrainOptions = {
    ...toTrainOptions(params, { images: stack, psf, datasetNoiseSigma: noiseSigma }),
    ...(resumeFrom ? { resumeFrom } : {}),
  };
  // Ctrl-C / SIGTERM stop after the current step; the last state is checkpointed and --resume continues it.
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let progress: ReturnType<typeof createProgress> | null = null;
  const result = await trainModel(options, {
    onProgress: (p) => {
      progress ??= createProgress('train', p.totalSteps, 'loss {loss} (data {data}, KL {kl}, penalty {penalty}) | {rate} samples/s');
      progress.update(p.step, {
        loss: p.loss.total.toFixed(4), data: p.loss.data.toFixed(4), kl: p.loss.kl.toFixed(4),
        penalty: p.loss.penalty.toFixed(4), rate: p.samplesPerSecond.toFixed(1),
      });
    },
    onCheckpoint: (checkpoint) => saveCheckpoint(checkpointDir, checkpoint),
    signal: stop.signal,
    log: (message) => process.stderr.write(`${message}\n`),
    shards,
  });
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  (progress as ReturnType<typeof createProgress> | null)?.stop();
  await saveModel(args.out, result.model);
  // On resume, the curve so far comes from the previous loss.csv, up to the checkpoint's step (later lines were not kept).
  const earlier = resumeFrom ? await earlierLossLines(join(args.out, 'loss.csv'), resumeFrom.step) : [];
  await writeFileAtomic(join(args.out, 'loss.csv'), Buffer.from(lossCsv(result.history, earlier)));
  for (const c of result.collapses) process.stderr.write(`posterior collapse at step ${c.step} (KL ${c.klPerPixel.toExponential(2)} nats/pixel): restarted with seed ${c.seed}\n`);
  if (stop.signal.aborted) process.stderr.write(`stopped at step ${result.steps}: run again with --resume to continue\n`);
  process.stdout.write(`trained ${result.steps} steps in ${result.trainSeconds.toFixed(1)} s on ${backend.engine}; model in ${args.out}\n`);
}

const LOSS_HEADER = 'step,total,data,kl,penalty,beta,learning_rate';

function lossCsv(history: readonly LossPoint[], earlier: readonly string[]): string {
  const lines = [LOSS_HEADER, ...earlier];
  for (const p of history) lines.push([p.step, p.total, p.data, p.kl, p.penalty, p.beta, p.learningRate].join(','));
  return lines.join('\n') + '\n';
}

async function earlierLossLines(path: string, upToStep: number): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').slice(1).filter((line) => line !== '' && Number(line.split(',')[0]) <= upToStep);
}

async function exists(path: string): Promise<boolean> {
  try { await access(path); return true; } catch { return false; }
}
