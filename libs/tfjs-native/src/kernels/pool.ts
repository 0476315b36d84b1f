// MaxPool and MaxPoolGrad for tfjs's cpu backend on the addon ('valid', undilated windows; else tfjs's kernel).
import { backend_util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { poolGeometry } from '../geometry.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';

type Args = Parameters<KernelFunc>[0];
type PoolAttrs = NamedAttrMap & {
  filterSize: number | [number, number]; strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function poolInfo(xShape: number[], attrs: PoolAttrs): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(xShape as [number, number, number, number], attrs.filterSize, attrs.strides,
    1, attrs.pad, attrs.dimRoundingMode);
}

function maxPool(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const info = poolInfo(x.shape, args.attrs as PoolAttrs);
  const g = poolGeometry(info);
  const xs = floatsOf(backend, x);
  if (!g || !xs || sizeOf(info.outShape) === 0) return fallback(args);
  const out = uninitialisedFloats(sizeOf(info.outShape));
  addon.maxPoolForward(g, xs, out);
  return backend.makeTensorInfo(info.outShape, 'float32', out);
}

function maxPoolGrad(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input } = args.inputs as Record<string, TensorInfo>;
  const info = poolInfo(input.shape, args.attrs as PoolAttrs);
  const g = poolGeometry(info);
  const xs = floatsOf(backend, input);
  const dys = floatsOf(backend, dy);
  if (!g || !xs || !dys) return fallback(args);
  const dx = new Float32Array(sizeOf(input.shape));
  addon.maxPoolBackward(g, xs, dys, dx);
  return backend.makeTensorInfo(input.shape, 'float32', dx);
}

export function poolKernels(addon: NativeAddon, original: (name: string) => KernelFunc): KernelConfig[] {
  const make = (kernelName: string, body: (fallback: KernelFunc, args: Args) => TensorInfo | TensorInfo[]): KernelConfig => {
    const fallback = original(kernelName);
    return { kernelName, backendName: 'cpu', kernelFunc: (args) => body(fallback, args) };
  };
  return [
    make('MaxPool', (f, a) => maxPool(addon, f, a)),
    make('MaxPoolGrad', (f, a) => maxPoolGrad(addon, f, a)),
  ];
}
