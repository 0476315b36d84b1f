/** Shared by the parity tests: a tiny random model on disk, its ONNX export, and its tfjs parameters. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig, SavedModel } from '@divblur/divblurring/contract';
import { writeRandomModel } from './random-model.ts';
import { readSavedModel } from './saved-model.ts';
import { exportModel } from './export.ts';
import type { ExportedFiles } from './export.ts';

export const TINY_NETWORK: ModelConfig = { depth: 2, filters: [4, 8], latentChannels: 4, kernelSize: 3, output: 'linear' };

export interface TinyModel {
  readonly dir: string;
  readonly saved: SavedModel;
  readonly exported: ExportedFiles;
  readonly tfParams: Record<string, tf.Tensor>;
}

export async function tinyModel(config: ModelConfig = TINY_NETWORK, seed = 3): Promise<TinyModel> {
  await tf.setBackend('cpu');
  const dir = await mkdtemp(join(tmpdir(), 'divblur-onnx-'));
  await writeRandomModel(join(dir, 'model'), { config, seed, normalisation: { mean: 0.25, std: 0.5 } });
  const saved = await readSavedModel(join(dir, 'model'));
  const exported = await exportModel(join(dir, 'model'), join(dir, 'onnx'), { runId: 'run-42' });
  const tfParams: Record<string, tf.Tensor> = {};
  for (const [name, p] of saved.params) tfParams[name] = tf.tensor(p.data, [...p.shape]);
  return { dir, saved, exported, tfParams };
}

/** NCHW data → NHWC tensor (and back) for single-batch comparisons. */
export function nchwToNhwc(data: Float32Array, dims: readonly number[]): tf.Tensor4D {
  return tf.transpose(tf.tensor4d(data, dims as [number, number, number, number]), [0, 2, 3, 1]);
}

/** max |a − b| / (max b − min b): the acceptance's "max abs relative to the data range". */
export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let max = 0;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < expected.length; i++) {
    max = Math.max(max, Math.abs(actual[i] - expected[i]));
    low = Math.min(low, expected[i]);
    high = Math.max(high, expected[i]);
  }
  return max / (high - low);
}
