/**
 * Writes a model directory in the saved-model format (contract v1) with random weights: for tests, benchmarks
 * and parity checks when no trained model is at hand. He-normal filters keep activations O(1) through the net.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalAt, planeKey } from './noise.ts';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from './saved-model.ts';
import { parameterShapes, REPORT_MODEL } from '@divblur/divblurring/architecture';
import type { ModelManifest, NetworkConfig, Normalisation, WeightEntry } from './saved-model.ts';

export { parameterShapes };
export const REPORT_NETWORK: NetworkConfig = REPORT_MODEL;

export interface RandomModelOptions {
  readonly config?: NetworkConfig;
  readonly normalisation?: Normalisation;
  readonly seed?: number;
  /** Added to enc.logvar's bias: negative values give a narrow posterior like a trained model's. */
  readonly logvarBias?: number;
  readonly extra?: Partial<ModelManifest>;
}

export async function writeRandomModel(dir: string, options: RandomModelOptions = {}): Promise<ModelManifest> {
  const config = options.config ?? REPORT_NETWORK;
  const key = planeKey(options.seed ?? 1, 0, 0);
  let drawn = 0;
  const normal = () => normalAt(key, drawn++);
  const weights: WeightEntry[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, shape] of parameterShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('.w')) {
      const fanIn = shape[0] * shape[1] * (name.includes('.up.') ? shape[3] : shape[2]);
      const scale = Math.sqrt(2 / fanIn);
      for (let i = 0; i < size; i++) values[i] = normal() * scale;
    } else {
      const shift = name === 'enc.logvar.b' ? (options.logvarBias ?? -2) : 0;
      for (let i = 0; i < size; i++) values[i] = 0.05 * normal() + shift;
    }
    weights.push({ name, shape, offset });
    chunks.push(values);
    offset += size;
  }
  const manifest: ModelManifest = {
    format: MODEL_FORMAT, formatVersion: MODEL_FORMAT_VERSION, divblurVersion: '0.1.0', config,
    normalisation: options.normalisation ?? { mean: 0.2, std: 0.3 }, method: 'divblurring', noiseSigma: 0.03,
    penalty: 'none', lambda: 0, kappa: 0, psf: null, training: { steps: 0, seed: options.seed ?? 1, random: true },
    weights, ...options.extra,
  };
  const all = new Float32Array(offset);
  chunks.forEach((chunk, i) => all.set(chunk, weights[i].offset));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(all.buffer));
  await writeFile(join(dir, 'model.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}
