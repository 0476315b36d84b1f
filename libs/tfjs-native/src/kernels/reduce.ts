// Sum and Mean over a contiguous range of axes (a bias gradient's [0,1,2] of NHWC, a loss's all axes) and Slice,
// for float32 tensors; other axis sets and dtypes go to tfjs's kernels.
import { backend_util, slice_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';

type Args = Parameters<KernelFunc>[0];

/** Sum (scale 1) or Mean (scale 1 / reduced count) over a contiguous range of axes. */
function sum(addon: NativeAddon, fallback: KernelFunc, args: Args, mean = false): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const xs = floatsOf(backend, x);
  const axes = util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  if (!xs || xs.length === 0 || axes.length === 0) return fallback(args);
  const lo = axes[0];
  const hi = axes[axes.length - 1];
  if (hi - lo + 1 !== axes.length) return fallback(args);
  const outer = sizeOf(x.shape.slice(0, lo));
  const reduced = sizeOf(x.shape.slice(lo, hi + 1));
  const inner = sizeOf(x.shape.slice(hi + 1));
  const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const out = uninitialisedFloats(outer * inner);
  addon.reduceSum(outer, reduced, inner, xs, out);
  if (mean) for (let i = 0; i < out.length; i++) out[i] /= reduced;
  const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
  return backend.makeTensorInfo(shape, 'float32', out);
}

function slice(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
  const xs = floatsOf(backend, x);
  if (!xs || x.shape.length === 0) return fallback(args);
  const [$begin, $size] = slice_util.parseSliceParams(x, begin, size);
  // A contiguous slice is a view in tfjs's kernel already; an empty one needs no copy.
  if (sizeOf($size) === 0 || slice_util.isSliceContinous(x.shape, $begin, $size)) return fallback(args);
  const out = uninitialisedFloats(sizeOf($size));
  addon.slice(x.shape, $begin, $size, xs, out);
  return backend.makeTensorInfo($size, 'float32', out);
}

export function reduceKernels(addon: NativeAddon, original: (name: string) => KernelFunc): KernelConfig[] {
  const sumFallback = original('Sum');
  const meanFallback = original('Mean');
  const sliceFallback = original('Slice');
  return [
    { kernelName: 'Sum', backendName: 'cpu', kernelFunc: (args) => sum(addon, sumFallback, args) },
    { kernelName: 'Mean', backendName: 'cpu', kernelFunc: (args) => sum(addon, meanFallback, args, true) },
    { kernelName: 'Slice', backendName: 'cpu', kernelFunc: (args) => slice(addon, sliceFallback, args) },
  ];
}
