/**
 * One training step of the DivBlurring VAE and the state it carries (weights, Adam, RNG, schedules),
 * with posterior-collapse detection. The loop around it is train.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { Adam } from './adam.ts';
import type { Checkpoint } from './checkpoint.ts';
import { samplePatches } from './data.ts';
import { DivblurConfigError, TrainingError } from './errors.ts';
import { Random } from './imaging.ts';
import { divblurLoss, psfFilter } from './loss.ts';
import type { Normalisation } from './architecture.ts';
import { decode, encode, initParams, sampleLatent, variableFrom } from './model.ts';
import type { Hyperparameters, TrainOptions } from './options.ts';
import { cosineLearningRate, klBeta, plateauStart, plateauUpdate, warmupEndStep, type PlateauState } from './schedule.ts';
import type { TrainedModel } from './trained-model.ts';

/** One step's loss terms, per pixel (units: README.md). */
export interface StepLoss {
  readonly total: number;
  readonly data: number;
  readonly kl: number;
  readonly penalty: number;
  readonly beta: number;
}

export interface Trainer {
  readonly hyperparameters: Hyperparameters;
  readonly normalisation: Normalisation;
  readonly step: number;
  totalSteps: number;
  readonly learningRate: number;
  /** KL per pixel stayed below the threshold over the last window after warm-up. */
  readonly collapsed: boolean;
  /** Mean KL per pixel over the collapse window (NaN before it fills). */
  readonly recentKlPerPixel: number;
  nextBatch(): Float32Array;
  /** One Adam step on `batch` ([B·P·P], data units) → the loss before the update. */
  train(batch: Float32Array): StepLoss;
  checkpoint(): Checkpoint;
  /** A copy of the current weights as a TrainedModel (the caller disposes it). */
  model(training?: Record<string, unknown>): TrainedModel;
  dispose(): void;
}

/** What one step needs besides the weights: the trainer's own draws and schedules, handed to every shard. */
export interface StepInputs {
  readonly batch: Float32Array;
  readonly epsSeed: number;
  readonly beta: number;
  readonly learningRate: number;
}

/**
 * One shard of a data-parallel step (data-parallel.ts): shard `index` of `count` computes the gradient of its rows of the
 * batch, and `sumAcrossShards` adds a vector over all shards in shard order, so that every shard gets the same sum and
 * applies the same Adam update to its own copy of the weights.
 */
export interface ShardContext {
  readonly index: number;
  readonly count: number;
  sumAcrossShards(values: Float32Array): Float32Array;
  /** On the shard that draws (index 0): hands the step's inputs to the other shards before computing its own part. */
  broadcast?(inputs: StepInputs): void;
}

/** A trainer whose step can be driven with given inputs (the other shards of a data-parallel step). */
export interface ShardTrainer extends Trainer {
  runStep(inputs: StepInputs): StepLoss;
}

/** Mean and standard deviation of the training data (data units). */
export function dataNormalisation(images: TrainOptions['images']): Normalisation {
  let sum = 0;
  let sumSquares = 0;
  for (const value of images.data) {
    sum += value;
    sumSquares += value * value;
  }
  const mean = sum / images.data.length;
  const std = Math.sqrt(Math.max(sumSquares / images.data.length - mean * mean, 0));
  if (!(std > 0)) throw new DivblurConfigError('training images are constant: their standard deviation is 0');
  return { mean, std };
}

export function dataFingerprint(images: TrainOptions['images']): Checkpoint['dataFingerprint'] {
  let sum = 0;
  for (const value of images.data) sum += value;
  return { count: images.count, height: images.height, width: images.width, sum };
}

export function buildTrainer(options: TrainOptions, hyper: Hyperparameters, totalSteps: number, resume?: Checkpoint, shard?: ShardContext): ShardTrainer {
  const { images } = options;
  const offset = hyper.noiseModel.offset;
  // The offset joins the normalisation only when there is one, so that the report's models record what they did.
  const normalisation = resume?.normalisation ?? (offset === 0 ? dataNormalisation(images) : { ...dataNormalisation(images), offset });
  const random = resume ? Random.fromState(resume.random) : new Random(hyper.seed);
  const params = resume
    ? Object.fromEntries(Object.entries(resume.params).map(([name, t]) => [name, variableFrom(t.data, t.shape)]))
    : initParams(hyper.model, random);
  const adam = new Adam(params);
  if (resume) {
    adam.updates = resume.adamUpdates;
    for (const name of Object.keys(params)) {
      tf.tidy(() => {
        adam.m[name].assign(tf.tensor(resume.adamM[name].data, resume.adamM[name].shape));
        adam.v[name].assign(tf.tensor(resume.adamV[name].data, resume.adamV[name].shape));
      });
    }
  }
  const psf = options.psf ? psfFilter(options.psf) : null;
  const { patchSize, batchSize, model: config } = hyper;
  const latentSide = patchSize / 2 ** config.depth;
  const validPixels = psf ? (patchSize - psf.shape[0] + 1) * (patchSize - psf.shape[1] + 1) : patchSize * patchSize;
  const inputPixels = patchSize * patchSize;
  const names = Object.keys(params);
  const varList = names.map((name) => params[name] as tf.Variable);
  let step = resume?.step ?? 0;
  let plateau: PlateauState = resume?.plateau ?? plateauStart(hyper.learningRate);
  let klWindow: number[] = resume ? [...resume.klWindow] : [];
  if (shard && batchSize % shard.count !== 0) throw new DivblurConfigError(`batchSize ${batchSize} does not split into ${shard.count} equal shards`);
  const rows = shard ? batchSize / shard.count : batchSize;
  const firstRow = shard ? shard.index * rows : 0;
  const sizes = names.map((name) => params[name].size);
  const gradientLength = sizes.reduce((a, b) => a + b, 0);

  /** This process's loss terms and gradients; with shards, their sums over every shard. */
  function objectiveAndGradients(inputs: StepInputs): { values: number[]; grads: Record<string, tf.Tensor> } {
    const kept: tf.Tensor[] = [];
    const rowPixels = patchSize * patchSize;
    const y = tf.tensor4d(inputs.batch.subarray(firstRow * rowPixels, (firstRow + rows) * rowPixels), [rows, patchSize, patchSize, 1]);
    let eps = tf.randomNormal([batchSize, latentSide, latentSide, config.latentChannels], 0, 1, 'float32', inputs.epsSeed) as tf.Tensor4D;
    if (shard) eps = tf.slice(eps, [firstRow, 0, 0, 0], [rows, -1, -1, -1]);
    const shards = shard ? { batchSize, count: shard.count, sumAcrossShards: (v: Float32Array) => shard.sumAcrossShards(v) } : undefined;
    const { value, grads } = tf.variableGrads(() => {
      const { mu, logvar } = encode(params, config, normalisation, y);
      const x = decode(params, config, normalisation, sampleLatent(mu, logvar, eps));
      const terms = divblurLoss({ y, x, mu, logvar, psf, noiseModel: hyper.noiseModel, beta: inputs.beta, freeBitsNats: hyper.freeBitsNats,
        penalty: { name: hyper.penalty, lambda: hyper.lambda, kappa: hyper.kappa }, shards });
      kept.push(tf.keep(terms.data), tf.keep(terms.kl), tf.keep(terms.penalty)); // variableGrads disposes what f made
      return terms.objective;
    }, varList);
    const byName = Object.fromEntries(names.map((name) => [name, grads[params[name].name]]));
    const values = [value, ...kept].map((t) => t.dataSync()[0]);
    for (const t of kept) t.dispose();
    if (!shard) return { values, grads: byName };
    // One exchange per step: every gradient, then the four loss terms.
    const local = new Float32Array(gradientLength + 4);
    let at = 0;
    for (const name of names) {
      local.set(byName[name].dataSync() as Float32Array, at);
      at += byName[name].size;
    }
    local.set(values, gradientLength);
    const summed = shard.sumAcrossShards(local);
    at = 0;
    const summedGrads: Record<string, tf.Tensor> = {};
    names.forEach((name, i) => {
      summedGrads[name] = tf.tensor(summed.subarray(at, at + sizes[i]), params[name].shape);
      at += sizes[i];
    });
    return { values: [...summed.subarray(gradientLength)], grads: summedGrads };
  }

  const trainer: ShardTrainer = {
    hyperparameters: hyper,
    normalisation,
    totalSteps: resume?.totalSteps ?? totalSteps,
    get step() {
      return step;
    },
    get learningRate() {
      if (hyper.lrSchedule === 'cosine') return cosineLearningRate(hyper.learningRate, step, trainer.totalSteps);
      return hyper.lrSchedule === 'plateau' ? plateau.learningRate : hyper.learningRate;
    },
    get recentKlPerPixel() {
      return klWindow.length < hyper.collapseWindowSteps ? NaN : klWindow.reduce((a, b) => a + b, 0) / klWindow.length;
    },
    get collapsed() {
      const afterWarmup = step >= warmupEndStep(trainer.totalSteps, hyper.klHoldFraction, hyper.klRampFraction) + hyper.collapseWindowSteps;
      return afterWarmup && trainer.recentKlPerPixel < hyper.collapseThreshold;
    },
    nextBatch: () => samplePatches(images, patchSize, batchSize, random, hyper.augmentations),
    train(batch) {
      const inputs: StepInputs = {
        batch,
        epsSeed: random.integer(0, 2 ** 31 - 1),
        beta: klBeta(step, trainer.totalSteps, hyper.klHoldFraction, hyper.klRampFraction),
        learningRate: trainer.learningRate,
      };
      shard?.broadcast?.(inputs);
      return trainer.runStep(inputs);
    },
    runStep(inputs) {
      const { beta, learningRate } = inputs;
      const [total, data, kl, penalty] = tf.tidy(() => {
        const { values, grads } = objectiveAndGradients(inputs);
        adam.apply(grads, learningRate);
        return values;
      });
      if (![total, data, kl, penalty].every(Number.isFinite)) {
        throw new TrainingError(`loss is not finite at step ${step} (data ${data}, KL ${kl}, penalty ${penalty}): lower the learning rate or check the noise model`);
      }
      const loss: StepLoss = { total: total / inputPixels, data: data / validPixels, kl: kl / inputPixels, penalty: penalty / inputPixels, beta };
      if (step >= warmupEndStep(trainer.totalSteps, hyper.klHoldFraction, hyper.klRampFraction)) {
        if (hyper.lrSchedule === 'plateau') plateau = plateauUpdate(plateau, total);
        klWindow = [...klWindow, loss.kl].slice(-hyper.collapseWindowSteps);
      }
      step += 1;
      return loss;
    },
    checkpoint() {
      const snapshot = (record: Record<string, tf.Tensor>) =>
        Object.fromEntries(names.map((name) => [name, { shape: record[name].shape, data: record[name].dataSync() as Float32Array }]));
      return {
        format: 'divblur-checkpoint',
        formatVersion: 1,
        hyperparameters: hyper,
        normalisation,
        dataFingerprint: dataFingerprint(images),
        step,
        totalSteps: trainer.totalSteps,
        random: random.state(),
        adamUpdates: adam.updates,
        plateau,
        klWindow,
        params: snapshot(params),
        adamM: snapshot(adam.m),
        adamV: snapshot(adam.v),
      };
    },
    model(training = {}) {
      return {
        config,
        normalisation,
        params: Object.fromEntries(names.map((name) => [name, tf.clone(params[name])])),
        method: hyper.method,
        noiseSigma: hyper.noiseSigma,
        noiseModel: hyper.noiseModel,
        penalty: hyper.penalty,
        lambda: hyper.lambda,
        kappa: hyper.kappa,
        psf: options.psf,
        training: { steps: step, seed: hyper.seed, hyperparameters: hyper, ...training },
      };
    },
    dispose() {
      for (const t of varList) t.dispose();
      adam.dispose();
      psf?.dispose();
    },
  };
  return trainer;
}
