// Kernels tfjs does not have, each one pass over memory where tfjs composes several kernels: the backward pass of
// relu(conv(x) + b), and an Adam step. libs/divblurring calls them by name when the active backend registers them
// (conv2dBiasRelu, Adam) and composes tfjs ops otherwise.
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';
import { conv2dInfo, type Conv2DAttrs } from './conv.ts';
import { convGeometry } from '../geometry.ts';

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

/**
 * Inputs { p, m, v, g } (one shape), attrs { beta1, beta2, epsilon, stepSize, secondMomentCorrection }; outputs [p', m', v']
 * of one Adam step (libs/divblurring/src/adam.ts).
 */
export const ADAM_UPDATE = 'DivblurAdamUpdate';

function adamUpdate(addon: NativeAddon, args: Args): TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { p, m, v, g } = args.inputs as Record<string, TensorInfo>;
  const { beta1, beta2, epsilon, stepSize, secondMomentCorrection } = args.attrs as Record<string, number>;
  const arrays = [p, m, v, g].map((t) => floatsOf(backend, t));
  if ([m, v, g].some((t) => t.shape.join() !== p.shape.join()) || arrays.some((a) => a === null)) {
    throw new RangeError(`${ADAM_UPDATE}: p, m, v and g must be float32 tensors of one shape, got [${p.shape}], [${m.shape}], [${v.shape}], [${g.shape}]`);
  }
  const [ps, ms, vs, gs] = arrays as Float32Array[];
  const outs = [0, 1, 2].map(() => uninitialisedFloats(ps.length));
  if (ps.length > 0) addon.adamUpdate(ps, ms, vs, gs, beta1, 1 - beta1, beta2, 1 - beta2, epsilon, stepSize, secondMomentCorrection, outs[0], outs[1], outs[2]);
  return outs.map((values) => backend.makeTensorInfo(p.shape, 'float32', values));
}

/**
 * Inputs { dy, y, x, filter } (y = relu(conv(x, filter) + b), NHWC float32), attrs the convolution's (strides, pad,
 * dataFormat, dilations); outputs [dx (x's shape), dw (filter's shape), db ([C_out])]: the whole backward pass of
 * libs/divblurring's conv2dBiasRelu in one kernel. dz = dy·[y > 0] never becomes a tensor (a per-thread buffer in the addon).
 */
export const CONV_RELU_BACKPROP = 'DivblurConvReluBackprop';

function convReluBackprop(addon: NativeAddon, args: Args): TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, y, x, filter } = args.inputs as Record<string, TensorInfo>;
  const info = conv2dInfo(x.shape, filter.shape, args.attrs as Conv2DAttrs);
  const g = convGeometry(info);
  const arrays = [dy, y, x, filter].map((t) => floatsOf(backend, t));
  if (!g || arrays.some((a) => a === null) || dy.shape.join() !== info.outShape.join() || y.shape.join() !== info.outShape.join()) {
    throw new RangeError(`${CONV_RELU_BACKPROP}: needs float32 NHWC dy and y of the output's shape [${info.outShape}], got [${dy.shape}], [${y.shape}]`);
  }
  const [dys, ys, xs, ws] = arrays as Float32Array[];
  const dx = uninitialisedFloats(sizeOf(x.shape));
  const dw = uninitialisedFloats(sizeOf(filter.shape));
  const db = new Float32Array(info.outChannels);
  addon.convReluBackward(g, dys, ys, xs, ws, dx, dw, db);
  return [backend.makeTensorInfo(x.shape, 'float32', dx), backend.makeTensorInfo(filter.shape, 'float32', dw),
    backend.makeTensorInfo([info.outChannels], 'float32', db)];
}

export function fusedKernels(addon: NativeAddon): KernelConfig[] {
  return [
    { kernelName: CONV_RELU_BACKPROP, backendName: 'cpu', kernelFunc: (args) => convReluBackprop(addon, args) },
    { kernelName: RELU_BIAS_BACKPROP, backendName: 'cpu', kernelFunc: (args) => reluBiasBackprop(addon, args) },
    { kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: (args) => adamUpdate(addon, args) },
  ];
}
