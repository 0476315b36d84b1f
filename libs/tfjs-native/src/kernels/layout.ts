// BatchMatMul (oneDNN sgemm) and Transpose for float32 tensors on tfjs's cpu backend. BatchMatMul covers
// equal batch dimensions or a batch of one on either side; other broadcasts go to tfjs's kernel.
import { broadcast_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';

type Args = Parameters<KernelFunc>[0];

function batchMatMul(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as Record<string, TensorInfo>;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const as = floatsOf(backend, a);
  const bs = floatsOf(backend, b);
  if (!as || !bs || a.shape.length < 2 || b.shape.length < 2) return fallback(args);
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const kB = transposeB ? bCols : bRows;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (k !== kB || !(sameOuter || batchA === 1 || batchB === 1) || m * n === 0) return fallback(args);
  const outShape = [...broadcast_util.assertAndGetBroadcastShape(outerA, outerB), m, n];
  if (sizeOf(outShape) !== Math.max(batchA, batchB) * m * n) return fallback(args);
  if (k === 0) return backend.makeTensorInfo(outShape, 'float32', new Float32Array(sizeOf(outShape)));
  const out = uninitialisedFloats(sizeOf(outShape));
  addon.batchMatMul(batchA, batchB, m, n, k, transposeA, transposeB, as, bs, out);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function transpose(addon: NativeAddon, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const { perm } = args.attrs as { perm: number[] };
  const xs = floatsOf(backend, x);
  if (!xs || xs.length === 0 || perm.length !== x.shape.length) return fallback(args);
  const out = uninitialisedFloats(xs.length);
  addon.transpose(x.shape, perm, xs, out);
  return backend.makeTensorInfo(perm.map((p) => x.shape[p]), 'float32', out);
}

export function layoutKernels(addon: NativeAddon, original: (name: string) => KernelFunc): KernelConfig[] {
  const matMulFallback = original('BatchMatMul');
  const transposeFallback = original('Transpose');
  return [
    { kernelName: 'BatchMatMul', backendName: 'cpu', kernelFunc: (args) => batchMatMul(addon, matMulFallback, args) },
    { kernelName: 'Transpose', backendName: 'cpu', kernelFunc: (args) => transpose(addon, transposeFallback, args) },
  ];
}
