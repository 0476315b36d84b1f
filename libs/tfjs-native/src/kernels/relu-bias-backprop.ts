// A kernel tfjs does not have: the backward pass of relu(conv(x) + b) in one sweep. libs/divblurring's conv2dBiasRelu
// calls it by name when the active backend registers it, and composes Step, Multiply and Sum otherwise.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';

/** Inputs { dy, y } ([..., C], y = relu(conv(x) + b)); outputs [dz = dy·[y > 0] (y's shape), db = Σ dz over all but C ([C])]. */
export const RELU_BIAS_BACKPROP = 'DivblurReluBiasBackprop';

type Args = Parameters<KernelFunc>[0];

function reluBiasBackprop(addon: NativeAddon, args: Args): TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, y } = args.inputs as Record<string, TensorInfo>;
  if (dy.shape.join() !== y.shape.join() || y.shape.length === 0) {
    throw new RangeError(`${RELU_BIAS_BACKPROP}: dy [${dy.shape}] and y [${y.shape}] must have one shape of rank ≥ 1`);
  }
  const channels = y.shape[y.shape.length - 1];
  const size = sizeOf(y.shape);
  const dys = floatsOf(backend, dy) ?? Float32Array.from(backend.readSync(dy.dataId) as ArrayLike<number>);
  const ys = floatsOf(backend, y) ?? Float32Array.from(backend.readSync(y.dataId) as ArrayLike<number>);
  const dz = uninitialisedFloats(size);
  const db = new Float32Array(channels);
  if (size > 0) addon.reluBiasBackprop(size / channels, channels, dys, ys, dz, db);
  return [backend.makeTensorInfo(y.shape, 'float32', dz), backend.makeTensorInfo([channels], 'float32', db)];
}

export function fusedKernels(addon: NativeAddon): KernelConfig[] {
  return [{ kernelName: RELU_BIAS_BACKPROP, backendName: 'cpu', kernelFunc: (args) => reluBiasBackprop(addon, args) }];
}
