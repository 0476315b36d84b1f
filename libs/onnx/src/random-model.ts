/**
 * Test-only (`@divblur/onnx/testing`): writes a model directory with random weights through the model contract's
 * writer, for tests, benchmarks and parity checks when no trained model is at hand. He-normal filters keep
 * activations O(1) through the net.
 */
import { normalAt, planeKey } from './noise.ts';
import { parameterShapes, REPORT_MODEL, writeSavedModel } from '@divblur/divblurring/contract';
import type { ModelConfig, ModelManifest, ModelRecord, Normalisation, Parameter } from '@divblur/divblurring/contract';

export interface RandomModelOptions {
  readonly config?: ModelConfig;
  readonly normalisation?: Normalisation;
  readonly seed?: number;
  /** Added to enc.logvar's bias: negative values give a narrow posterior like a trained model's. */
  readonly logvarBias?: number;
  /** The PSF recorded as trained with (default none, DivNoising's identity). */
  readonly psf?: ModelRecord['psf'];
  /** The noise model recorded (default the report's Gaussian of σ = 0.03). */
  readonly noiseModel?: ModelRecord['noiseModel'];
}

export async function writeRandomModel(dir: string, options: RandomModelOptions = {}): Promise<ModelManifest> {
  const config = options.config ?? REPORT_MODEL;
  const key = planeKey(options.seed ?? 1, 0, 0);
  let drawn = 0;
  const normal = () => normalAt(key, drawn++);
  const params = new Map<string, Parameter>();
  for (const [name, shape] of parameterShapes(config)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('.w')) {
      const fanIn = shape[0] * shape[1] * (name.includes('.up.') ? shape[3] : shape[2]);
      const scale = Math.sqrt(2 / fanIn);
      for (let i = 0; i < values.length; i++) values[i] = normal() * scale;
    } else {
      const shift = name === 'enc.logvar.b' ? (options.logvarBias ?? -2) : 0;
      for (let i = 0; i < values.length; i++) values[i] = 0.05 * normal() + shift;
    }
    params.set(name, { shape, data: values });
  }
  return writeSavedModel(dir, {
    config, normalisation: options.normalisation ?? { mean: 0.2, std: 0.3 }, method: 'divblurring', noiseSigma: 0.03,
    penalty: 'none', lambda: 0, kappa: 0, training: { steps: 0, seed: options.seed ?? 1, random: true }, psf: options.psf ?? null,
    ...(options.noiseModel ? { noiseModel: options.noiseModel } : {}),
  }, params);
}
