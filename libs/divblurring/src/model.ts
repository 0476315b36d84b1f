/**
 * The DivBlurring / DivNoising VAE (Prakash et al. 2021, DivNoising; the report's network):
 *   encoder q(z|y): [convk×k+ReLU, convk×k+ReLU, maxpool 2×2] × depth → μ, log σ_z² (k×k convs)
 *   sample:         z = μ + exp(½ log σ_z²)·ε,  ε ~ N(0, I)            (reparameterisation)
 *   decoder g(z):   [upsample 2×2 stride 2, convk×k+ReLU, convk×k+ReLU] × depth → convk×k → 1 channel
 * k = config.kernelSize ('same' padding; the report's k = 3). Input normalised by the training data's {mean, std};
 * output mapped back to data units (offset kept; a 'softplus' output is positive above the normalisation's offset). Parameter names and shapes are the model contract's (contract.ts), shared with libs/onnx.
 */
import * as tf from '@tensorflow/tfjs';
import type { Random } from './imaging.ts';
import { conv2dBiasRelu, conv2dSame, upsample2x } from './conv.ts';
import { parameterShapes, SOFTPLUS_KNEE, type ModelConfig, type Normalisation } from './architecture.ts';
import { DivblurConfigError } from './errors.ts';

/** Parameters by contract name (`enc.0.conv0.w` …); tf.Variable while training. */
export type Params = Record<string, tf.Tensor>;

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

/** relu(conv(x)) as one fused op (conv.ts). */
function convRelu(params: Params, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return conv2dBiasRelu(x, params[`${name}.w`], params[`${name}.b`]);
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
    h = convRelu(params, `enc.${i}.conv0`, h);
    h = convRelu(params, `enc.${i}.conv1`, h);
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
    h = convRelu(params, `dec.${i}.conv0`, h);
    h = convRelu(params, `dec.${i}.conv1`, h);
  }
  const t = tf.add(tf.mul(conv(params, 'dec.out', h), norm.std), norm.mean) as tf.Tensor4D;
  if (config.output === 'linear') return t;
  const knee = SOFTPLUS_KNEE * norm.std;
  const offset = norm.offset ?? 0;
  if (offset === 0) return tf.mul(tf.softplus(tf.div(t, knee)), knee);
  return tf.add(tf.mul(tf.softplus(tf.div(tf.sub(t, offset), knee)), knee), offset);
}
