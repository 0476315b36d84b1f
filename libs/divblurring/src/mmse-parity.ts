/**
 * The MMSE on TensorFlow.js, a parity tool for tests and benchmarks (production serves with libs/onnx's `mmse`
 * on the MMSE core, mmse-core.ts): x̂ = (1/N) Σ_s g(z_s), z_s ~ q(z|y), with the per-pixel standard deviation of
 * the samples as the uncertainty map. It decodes the model's own tfjs parameters, so that a trained model can be
 * scored before it is exported, and test/onnx-vs-tfjs.test.ts checks the ONNX path against it.
 * Its options and defaults are the core's; its draws and sums are its own and kept as they are, because
 * bench/quality.ts's published figures come from them: one seed per sample from one generator across the views,
 * plain float64 sums of x and x² over every turned-back sample, and the population std √(Σx²/N − x̂²), where the
 * core pools per-view means and sample variances.
 * Quality when ground truth is given: psnr_mmse = PSNR(x̂) and psnr_samples = mean_s PSNR(g(z_s))
 * (the report's table), PSNR = 20 log10(max GT / √MSE).
 */
import * as tf from '@tensorflow/tfjs';
import { dihedral, undoDihedral } from './data.ts';
import { testTimeTransforms } from './symmetry.ts';
import { DivblurConfigError } from './errors.ts';
import { psnr, Random, stackImage, type Image, type Stack } from './imaging.ts';
import { decode, encode } from './model.ts';
import { DEFAULT_SAMPLES, DEFAULT_SEED, defaultContextMargin, mmseOptionProblem, mmseViews, splitSamples, type MmseOptions } from './mmse-core.ts';
import type { TrainedModel } from './trained-model.ts';

/** Memory bound of one decode batch when neither batchSize nor maxBatchBytes is given. */
export const TFJS_MAX_BATCH_BYTES = 256 * 2 ** 20;

/** The core's options this path takes, on a stack; ground truth of the stack's shape. */
export interface TfjsMmseOptions extends Pick<MmseOptions, 'samples' | 'seed' | 'dihedral' | 'contextMargin'> {
  /** Same shape as the input: adds psnrMmse and psnrSamples. */
  readonly groundTruth?: Stack;
  /** Samples decoded at once; default from maxBatchBytes. */
  readonly batchSize?: number;
  /** Memory bound for one decode batch (default TFJS_MAX_BATCH_BYTES). */
  readonly maxBatchBytes?: number;
}

export interface TfjsMmseResult {
  readonly mmse: Stack;
  readonly std: Stack;
  readonly psnrMmse?: number[];
  readonly psnrSamples?: number[];
}

/**
 * Pads by reflection: `margin` on every side, then to a multiple of `factor` (bottom and right).
 * The image sits at [margin, margin] in the result.
 */
function padForNetwork(image: Image, factor: number, margin: number): tf.Tensor4D {
  const padHeight = (factor - ((image.height + 2 * margin) % factor)) % factor;
  const padWidth = (factor - ((image.width + 2 * margin) % factor)) % factor;
  if (margin + padHeight >= image.height || margin + padWidth >= image.width) {
    throw new DivblurConfigError(`image ${image.height}×${image.width} is too small for the network (reflect padding by ${margin + padHeight}×${margin + padWidth} px needs more pixels a side)`);
  }
  return tf.tidy(() => {
    const t = tf.tensor4d(image.data, [1, image.height, image.width, 1]);
    return margin === 0 && padHeight === 0 && padWidth === 0
      ? t
      : tf.mirrorPad(t, [[0, 0], [margin, margin + padHeight], [margin, margin + padWidth], [0, 0]], 'reflect');
  });
}

export async function deconvolveMmse(model: TrainedModel, stack: Stack, options: TfjsMmseOptions = {}): Promise<TfjsMmseResult> {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const transforms = mmseViews(options.dihedral, () => testTimeTransforms(model));
  const problem = mmseOptionProblem({ samples, dihedral: options.dihedral }, transforms);
  if (problem) throw new DivblurConfigError(problem.message);
  const gt = options.groundTruth;
  if (gt && (gt.count !== stack.count || gt.height !== stack.height || gt.width !== stack.width)) {
    throw new DivblurConfigError(`ground truth ${gt.count}×${gt.height}×${gt.width} differs from the input ${stack.count}×${stack.height}×${stack.width}`);
  }
  const { config, normalisation, params } = model;
  const factor = 2 ** config.depth;
  const random = new Random(options.seed ?? DEFAULT_SEED);
  const pixels = stack.height * stack.width;
  const mmse = new Float32Array(stack.count * pixels);
  const std = new Float32Array(stack.count * pixels);
  const psnrMmse: number[] = [];
  const psnrSamples: number[] = [];
  const margin = options.contextMargin ?? defaultContextMargin(model.psf, stack.height, stack.width, factor);
  if (!Number.isInteger(margin) || margin < 0) throw new DivblurConfigError(`contextMargin must be an integer ≥ 0, got ${margin}`);

  for (let n = 0; n < stack.count; n++) {
    const sum = new Float64Array(pixels);
    const sumSquares = new Float64Array(pixels);
    let samplePsnrSum = 0;
    const truth = gt ? stackImage(gt, n) : null;
    const counts = splitSamples(samples, transforms.length);
    for (const [t, k] of transforms.entries()) {
      if (counts[t] === 0) continue;
      const view = dihedral(stackImage(stack, n), k);
      const padded = padForNetwork(view, factor, margin);
      const { mu, logvar } = tf.tidy(() => encode(params, config, normalisation, padded));
      const [, paddedHeight, paddedWidth] = padded.shape;
      const bytesPerSample = paddedHeight * paddedWidth * Math.max(...config.filters) * 4 * 3;
      const batchSize = options.batchSize ?? Math.max(1, Math.floor((options.maxBatchBytes ?? TFJS_MAX_BATCH_BYTES) / bytesPerSample));
      for (let done = 0; done < counts[t]; ) {
        const b = Math.min(batchSize, counts[t] - done);
        // one seed per sample, so that the batch size does not change the result
        const seeds = Array.from({ length: b }, () => random.integer(0, 2 ** 31 - 1));
        const decoded = tf.tidy(() => {
          const eps = tf.concat(seeds.map((seed) => tf.randomNormal([1, ...mu.shape.slice(1)], 0, 1, 'float32', seed)));
          const z = tf.add(tf.tile(mu, [b, 1, 1, 1]), tf.mul(tf.tile(tf.exp(tf.mul(logvar, 0.5)), [b, 1, 1, 1]), eps)) as tf.Tensor4D;
          return tf.slice(decode(params, config, normalisation, z), [0, margin, margin, 0], [b, view.height, view.width, 1]);
        });
        const values = (await decoded.data()) as Float32Array;
        decoded.dispose();
        for (let s = 0; s < b; s++) {
          const sample = undoDihedral({ data: values.subarray(s * view.height * view.width, (s + 1) * view.height * view.width), height: view.height, width: view.width }, k);
          for (let i = 0; i < pixels; i++) {
            sum[i] += sample.data[i];
            sumSquares[i] += sample.data[i] * sample.data[i];
          }
          if (truth) samplePsnrSum += psnr(truth, sample);
        }
        done += b;
      }
      tf.dispose([padded, mu, logvar]);
    }
    for (let i = 0; i < pixels; i++) {
      const mean = sum[i] / samples;
      mmse[n * pixels + i] = mean;
      std[n * pixels + i] = Math.sqrt(Math.max(sumSquares[i] / samples - mean * mean, 0));
    }
    if (truth) {
      psnrMmse.push(psnr(truth, stackImage({ data: mmse, count: stack.count, height: stack.height, width: stack.width }, n)));
      psnrSamples.push(samplePsnrSum / samples);
    }
  }
  const shape = { count: stack.count, height: stack.height, width: stack.width };
  return { mmse: { data: mmse, ...shape }, std: { data: std, ...shape }, ...(gt ? { psnrMmse, psnrSamples } : {}) };
}
