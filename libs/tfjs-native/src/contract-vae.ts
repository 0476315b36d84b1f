// A training step of the DivBlurring VAE built straight from the model contract (parameterShapes in
// libs/divblurring/src/architecture.ts), used here to check the native kernels end to end and to time them
// when libs/divblurring's trainer is not importable. It is not the product's trainer: libs/divblurring owns that.
import * as tf from '@tensorflow/tfjs';

export interface ContractVaeConfig {
  depth: number;
  filters: number[];
  latentChannels: number;
  kernelSize: number;
}

export const reportNetwork: ContractVaeConfig = { depth: 2, filters: [32, 64], latentChannels: 64, kernelSize: 3 };

export type Params = Map<string, tf.Variable>;

/** Glorot-uniform filters and zero biases, deterministic in `seed`. */
export function initParams(config: ContractVaeConfig, seed: number): Params {
  const params: Params = new Map();
  let next = seed;
  const add = (name: string, shape: number[], fanIn: number, fanOut: number): void => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    params.set(`${name}.w`, tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', next++), true, `${name}.w`));
    const outChannels = name.includes('.up') ? shape[2] : shape[3];
    params.set(`${name}.b`, tf.variable(tf.zeros([outChannels]), true, `${name}.b`));
  };
  const k = config.kernelSize;
  let inChannels = 1;
  for (let i = 0; i < config.depth; i++) {
    const f = config.filters[i];
    add(`enc.${i}.conv0`, [k, k, inChannels, f], k * k * inChannels, k * k * f);
    add(`enc.${i}.conv1`, [k, k, f, f], k * k * f, k * k * f);
    inChannels = f;
  }
  add('enc.mu', [k, k, inChannels, config.latentChannels], k * k * inChannels, k * k * config.latentChannels);
  add('enc.logvar', [k, k, inChannels, config.latentChannels], k * k * inChannels, k * k * config.latentChannels);
  let channels = config.latentChannels;
  for (let i = config.depth - 1; i >= 0; i--) {
    const f = config.filters[i];
    add(`dec.${i}.up`, [2, 2, f, channels], 4 * channels, 4 * f);
    add(`dec.${i}.conv0`, [k, k, f, f], k * k * f, k * k * f);
    add(`dec.${i}.conv1`, [k, k, f, f], k * k * f, k * k * f);
    channels = f;
  }
  add('dec.out', [k, k, channels, 1], k * k * channels, k * k);
  return params;
}

export interface StepData {
  /** Noisy patches, data units, [N,H,W,1]. */
  y: tf.Tensor4D;
  /** Standard normal draws for the reparameterisation, [N,H/2^depth,W/2^depth,latent]. */
  eps: tf.Tensor4D;
  /** PSF as a conv filter [kh,kw,1,1]. */
  psf: tf.Tensor4D;
  noiseSigma: number;
  mean: number;
  std: number;
  /** 'fused' uses tf.fused.conv2d (bias + relu in one kernel), 'plain' conv2d + add + relu. */
  convStyle: 'fused' | 'plain';
}

function conv(params: Params, name: string, h: tf.Tensor4D, relu: boolean, style: StepData['convStyle']): tf.Tensor4D {
  const w = params.get(`${name}.w`) as tf.Tensor4D;
  const b = params.get(`${name}.b`) as tf.Tensor1D;
  if (style === 'fused') return tf.fused.conv2d({ x: h, filter: w, strides: 1, pad: 'same', bias: b, activation: relu ? 'relu' : 'linear' });
  const o = tf.add(tf.conv2d(h, w, 1, 'same'), b) as tf.Tensor4D;
  return relu ? tf.relu(o) : o;
}

/** Negative ELBO: ||psf ⊛valid x − y_valid||² / (2σ²) + KL(N(mu, e^logvar) ‖ N(0, I)). */
export function contractLoss(config: ContractVaeConfig, params: Params, data: StepData): tf.Scalar {
  const s = data.convStyle;
  let h = tf.div(tf.sub(data.y, data.mean), data.std) as tf.Tensor4D;
  for (let i = 0; i < config.depth; i++) {
    h = conv(params, `enc.${i}.conv1`, conv(params, `enc.${i}.conv0`, h, true, s), true, s);
    h = tf.maxPool(h, 2, 2, 'valid');
  }
  const mu = conv(params, 'enc.mu', h, false, s);
  const logvar = conv(params, 'enc.logvar', h, false, s);
  let z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), data.eps)) as tf.Tensor4D;
  for (let i = config.depth - 1; i >= 0; i--) {
    const up = params.get(`dec.${i}.up.w`) as tf.Tensor4D;
    const [n, height, width] = z.shape;
    z = tf.add(tf.conv2dTranspose(z, up, [n, height * 2, width * 2, up.shape[2]], 2, 'same'), params.get(`dec.${i}.up.b`) as tf.Tensor1D) as tf.Tensor4D;
    z = conv(params, `dec.${i}.conv1`, conv(params, `dec.${i}.conv0`, z, true, s), true, s);
  }
  const x = tf.add(tf.mul(conv(params, 'dec.out', z, false, s), data.std), data.mean) as tf.Tensor4D;
  const blurred = tf.conv2d(x, data.psf, 1, 'valid');
  const r = Math.floor(data.psf.shape[0] / 2);
  const [, height, width] = data.y.shape;
  const yValid = tf.slice(data.y, [0, r, r, 0], [-1, height - 2 * r, width - 2 * r, -1]);
  const dataTerm = tf.div(tf.sum(tf.square(tf.sub(blurred, yValid))), 2 * data.noiseSigma ** 2);
  const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
  return tf.add(dataTerm, kl) as tf.Scalar;
}

/** Fixed random data for one step: uniform patches, box PSF, seeded. */
export function randomStepData(config: ContractVaeConfig, batch: number, patchPx: number, psfPx: number,
  seed: number, convStyle: StepData['convStyle']): StepData {
  const latentPx = patchPx / 2 ** config.depth;
  return {
    y: tf.randomUniform([batch, patchPx, patchPx, 1], 0, 1, 'float32', seed) as tf.Tensor4D,
    eps: tf.randomNormal([batch, latentPx, latentPx, config.latentChannels], 0, 1, 'float32', seed + 1) as tf.Tensor4D,
    psf: tf.fill([psfPx, psfPx, 1, 1], 1 / psfPx ** 2) as tf.Tensor4D,
    noiseSigma: 0.05, mean: 0.5, std: 0.29, convStyle,
  };
}

export function disposeStepData(data: StepData): void {
  tf.dispose([data.y, data.eps, data.psf]);
}
