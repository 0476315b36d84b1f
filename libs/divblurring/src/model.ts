/**
 * The DivBlurring / DivNoising VAE (Prakash et al. 2021, DivNoising; the report's network):
 *   encoder q(z|y): [conv3×3+ReLU, conv3×3+ReLU, maxpool 2×2] × depth → μ, log σ_z² (3×3 convs)
 *   sample:         z = μ + exp(½ log σ_z²)·ε,  ε ~ N(0, I)            (reparameterisation)
 *   decoder g(z):   [upsample 2×2 stride 2, conv3×3+ReLU, conv3×3+ReLU] × depth → conv3×3 → 1 channel
 * Input normalised by the training data's {mean, std}; output mapped back to data units.
 * Parameter names and shapes are the model contract shared with libs/onnx (README.md).
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from './imaging.ts';
import { conv2dSame, upsample2x } from './conv.ts';
import { DivblurConfigError } from './errors.ts';

export interface ModelConfig {
  readonly depth: number;
  readonly filters: readonly number[];
  readonly latentChannels: number;
  readonly kernelSize: number;
  /** 'softplus' makes the estimate positive by construction: x = log(1 + exp(t)). */
  readonly output: 'linear' | 'softplus';
}

/** Data normalisation of the training data, in data units. */
export interface Normalisation {
  readonly mean: number;
  readonly std: number;
}

/** Parameters by contract name (`enc.0.conv0.w` …); tf.Variable while training. */
export type Params = Record<string, tf.Tensor>;

/** The report's network. */
export const REPORT_MODEL: ModelConfig = { depth: 2, filters: [32, 64], latentChannels: 64, kernelSize: 3, output: 'linear' };

export function checkModelConfig(config: ModelConfig): ModelConfig {
  const { depth, filters, latentChannels, kernelSize, output } = config;
  if (!Number.isInteger(depth) || depth < 1) throw new DivblurConfigError(`model depth must be an integer ≥ 1, got ${depth}`);
  if (filters.length !== depth || filters.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new DivblurConfigError(`model filters must list ${depth} positive integers, got [${filters}]`);
  }
  if (!Number.isInteger(latentChannels) || latentChannels < 1) {
    throw new DivblurConfigError(`latentChannels must be a positive integer, got ${latentChannels}`);
  }
  if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0) {
    throw new DivblurConfigError(`kernelSize must be odd, got ${kernelSize}`);
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

/** A trainable variable holding `values`; unnamed, because tfjs variable names are global to the process. */
export function variableFrom(values: Float32Array, shape: number[]): tf.Variable {
  const initial = tf.tensor(values, shape);
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

/**
 * PyTorch's default initialisation (the measured reference recipe): every weight and bias
 * ~ U(−1/√fanIn, 1/√fanIn), fanIn = k·k·cin for convs and k·k·cout for transposed convs.
 */
export function initParams(config: ModelConfig, random: Random): Record<string, tf.Variable> {
  const params: Record<string, tf.Variable> = {};
  const shapes = parameterShapes(config);
  for (let i = 0; i < shapes.length; i += 2) {
    const [wName, wShape] = shapes[i];
    const [bName, bShape] = shapes[i + 1];
    const fanIn = wShape[0] * wShape[1] * wShape[2];
    const bound = 1 / Math.sqrt(fanIn);
    const draw = (shape: number[]): Float32Array =>
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.uniformIn(-bound, bound));
    params[wName] = variableFrom(draw(wShape), wShape);
    params[bName] = variableFrom(draw(bShape), bShape);
  }
  return params;
}

function conv(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return conv2dSame(x, params[`${name}.w`], params[`${name}.b`]);
}

/** q(z|y): y [N,H,W,1] in data units, H and W multiples of 2^depth → μ, log σ_z² [N,H/2^d,W/2^d,latent]. */
export function encode(params: Params, config: ModelConfig, norm: Normalisation, y: tf.Tensor4D): { mu: tf.Tensor4D; logvar: tf.Tensor4D } {
  const [, height, width] = y.shape;
  const factor = 2 ** config.depth;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new DivblurConfigError(`encoder input ${height}×${width} must be a multiple of ${factor} on both sides`);
  }
  let h = tf.div(tf.sub(y, norm.mean), norm.std) as tf.Tensor4D;
  for (let i = 0; i < config.depth; i++) {
    h = tf.relu(conv(params, `enc.${i}.conv0`, h));
    h = tf.relu(conv(params, `enc.${i}.conv1`, h));
    h = tf.maxPool(h, 2, 2, 'valid');
  }
  return { mu: conv(params, 'enc.mu', h), logvar: conv(params, 'enc.logvar', h) };
}

/** z = μ + exp(½ log σ_z²)·ε. */
export function sampleLatent(mu: tf.Tensor4D, logvar: tf.Tensor4D, eps: tf.Tensor4D): tf.Tensor4D {
  return tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps));
}

/** g(z): z [N,h,w,latent] → x [N,h·2^d,w·2^d,1] in data units. */
export function decode(params: Params, config: ModelConfig, norm: Normalisation, z: tf.Tensor4D): tf.Tensor4D {
  let h = z;
  for (let i = config.depth - 1; i >= 0; i--) {
    h = upsample2x(h, params[`dec.${i}.up.w`], params[`dec.${i}.up.b`]);
    h = tf.relu(conv(params, `dec.${i}.conv0`, h));
    h = tf.relu(conv(params, `dec.${i}.conv1`, h));
  }
  const t = tf.add(tf.mul(conv(params, 'dec.out', h), norm.std), norm.mean) as tf.Tensor4D;
  return config.output === 'softplus' ? tf.softplus(t) : t;
}
