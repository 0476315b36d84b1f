/**
 * The network half of the model contract, without TensorFlow.js: the configuration and its check, the kernel sizes
 * that train and export, the data normalisation, and every parameter's name and shape in the order of weights.bin.
 * model.ts builds the tfjs VAE from it, libs/onnx the ONNX graphs; both import it through contract.ts
 * (`@divblur/divblurring/contract`), so the inference process never loads tfjs.
 */
import { DivblurConfigError } from './errors.ts';

export interface ModelConfig {
  readonly depth: number;
  readonly filters: readonly number[];
  readonly latentChannels: number;
  readonly kernelSize: number;
  /**
   * 'softplus' makes the estimate positive by construction: x = k·log(1 + exp(t/k)), t the linear output in data
   * units and k = SOFTPLUS_KNEE · std of the training data: a smooth ReLU whose knee is narrow against the data's
   * spread, so that x ≈ t where the signal is and a background of ≈ 0 costs t ≈ −3k, not t ≈ −5 (an unscaled
   * softplus outputs 0.69 at t = 0, a bias the output layer cannot unlearn at Adam's step size).
   */
  readonly output: 'linear' | 'softplus';
}

/** Width of the softplus output's knee, in units of the training data's std. */
export const SOFTPLUS_KNEE = 0.1;

/** Data normalisation of the training data, in data units. */
export interface Normalisation {
  readonly mean: number;
  readonly std: number;
  /**
   * The data's zero, data units (the camera offset of a Poisson–Gaussian noise model; absent = 0): the 'softplus'
   * output is positive above it, x = o + k·log(1 + exp((t − o)/k)).
   */
  readonly offset?: number;
}

/** The report's network. */
export const REPORT_MODEL: ModelConfig = { depth: 2, filters: [32, 64], latentChannels: 64, kernelSize: 3, output: 'linear' };

/**
 * The conv kernel sides the contract supports: tfjs trains them, the ONNX graphs export them ('same' padding
 * (k − 1)/2), and the ONNX-vs-tfjs parity test covers each one (libs/onnx trained-export.test.ts).
 */
export const KERNEL_SIZES: readonly number[] = [1, 3, 5, 7];

export function checkModelConfig(config: ModelConfig): ModelConfig {
  const { depth, filters, latentChannels, kernelSize, output } = config;
  if (!Number.isInteger(depth) || depth < 1) throw new DivblurConfigError(`model depth must be an integer ≥ 1, got ${depth}`);
  if (filters.length !== depth || filters.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new DivblurConfigError(`model filters must list ${depth} positive integers, got [${filters}]`);
  }
  if (!Number.isInteger(latentChannels) || latentChannels < 1) {
    throw new DivblurConfigError(`latentChannels must be a positive integer, got ${latentChannels}`);
  }
  if (!KERNEL_SIZES.includes(kernelSize)) {
    throw new DivblurConfigError(`kernelSize must be one of ${KERNEL_SIZES.join(', ')} (the sizes that train and export), got ${kernelSize}`);
  }
  if (output !== 'linear' && output !== 'softplus') throw new DivblurConfigError(`output must be linear|softplus, got ${output}`);
  return config;
}

/** Name → tfjs shape of every parameter, in the contract's order (also the weights.bin order). */
export function parameterShapes(config: ModelConfig): Array<[string, number[]]> {
  const { depth, filters, latentChannels: latent, kernelSize: k } = checkModelConfig(config);
  const shapes: Array<[string, number[]]> = [];
  const conv = (name: string, cin: number, cout: number): void => {
    shapes.push([`${name}.w`, [k, k, cin, cout]], [`${name}.b`, [cout]]);
  };
  for (let i = 0; i < depth; i++) {
    conv(`enc.${i}.conv0`, i === 0 ? 1 : filters[i - 1], filters[i]);
    conv(`enc.${i}.conv1`, filters[i], filters[i]);
  }
  conv('enc.mu', filters[depth - 1], latent);
  conv('enc.logvar', filters[depth - 1], latent);
  for (let i = depth - 1; i >= 0; i--) {
    const cin = i === depth - 1 ? latent : filters[i + 1];
    shapes.push([`dec.${i}.up.w`, [2, 2, filters[i], cin]], [`dec.${i}.up.b`, [filters[i]]]);
    conv(`dec.${i}.conv0`, filters[i], filters[i]);
    conv(`dec.${i}.conv1`, filters[i], filters[i]);
  }
  conv('dec.out', filters[0], 1);
  return shapes;
}

/**
 * How far (px) an output pixel of decode(encode(y)) reaches into y, r = (k − 1)/2: a 'same' conv at level i reaches
 * r·2^i px, four of them per level (two in the encoder, two in the decoder); the latent convs r cells of 2^depth px;
 * pooling and up-sampling alignment up to 2 cells; the output conv r px. Tiles need at least this much context.
 */
export function receptiveReachPx(config: ModelConfig): number {
  const cell = 2 ** config.depth;
  const r = (config.kernelSize - 1) / 2;
  return 4 * r * (cell - 1) + (r + 2) * cell + r;
}

/**
 * The MMSE's default context margin (both paths: libs/divblurring deconvolveMmse and libs/onnx mmse, so that they
 * give the same MMSE): the PSF's radius, 0 without a PSF, capped so that small images can still be padded.
 */
export function defaultContextMargin(psf: { height: number; width: number } | null, height: number, width: number, factor: number): number {
  if (psf === null) return 0;
  return Math.max(0, Math.min((Math.max(psf.height, psf.width) - 1) / 2, Math.min(height, width) - factor - 1));
}
