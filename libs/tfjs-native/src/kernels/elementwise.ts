// Binary (Add, Sub, Multiply, RealDiv) and unary (Relu, Step, Neg, Exp, Square, Sqrt, Log) float32 kernels.
// Binary ops cover equal shapes, a scalar operand and a trailing-axes broadcast (a bias over NHWC); any
// other broadcast, and any non-float32 tensor, goes to tfjs's kernel.
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.ts';
import { floatsOf, sizeOf, uninitialisedFloats } from './tensor-data.ts';

type Args = Parameters<KernelFunc>[0];

const binaryOps: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };
const unaryOps: Record<string, number> = { Relu: 0, Step: 1, Neg: 2, Exp: 3, Square: 4, Sqrt: 5, Log: 6 };

/** True when `small`, right-aligned against `out`, is 1s followed by out's trailing dimensions. */
function isTrailing(small: readonly number[], out: readonly number[]): boolean {
  const offset = out.length - small.length;
  if (offset < 0) return false;
  let i = 0;
  while (i < small.length && small[i] === 1) i++;
  for (; i < small.length; i++) if (small[i] !== out[offset + i]) return false;
  return true;
}

/** [broadcast mode, period] as native/eltwise.h's Broadcast, or null for a layout not covered. */
export function broadcastMode(aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): [number, number] | null {
  const size = sizeOf(outShape);
  const sizeA = sizeOf(aShape);
  const sizeB = sizeOf(bShape);
  if (sizeA === size && sizeB === size) return [0, size];
  if (sizeA === size && sizeB === 1) return [1, 1];
  if (sizeB === size && sizeA === 1) return [2, 1];
  if (sizeA === size && isTrailing(bShape, outShape)) return [3, sizeB];
  if (sizeB === size && isTrailing(aShape, outShape)) return [4, sizeA];
  return null;
}

function binary(addon: NativeAddon, op: number, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as Record<string, TensorInfo>;
  const as = floatsOf(backend, a);
  const bs = floatsOf(backend, b);
  if (!as || !bs) return fallback(args);
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const mode = broadcastMode(a.shape, b.shape, outShape);
  const size = sizeOf(outShape);
  if (!mode || size === 0) return fallback(args);
  const out = uninitialisedFloats(size);
  addon.binary(op, mode[0], size, mode[1], as, bs, out);
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function unary(addon: NativeAddon, op: number, fallback: KernelFunc, args: Args): TensorInfo | TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const xs = floatsOf(backend, x);
  if (!xs || xs.length === 0) return fallback(args);
  const out = uninitialisedFloats(xs.length);
  const alpha = typeof args.attrs?.alpha === 'number' ? args.attrs.alpha : 0;
  addon.unary(op, alpha, xs, out);
  return backend.makeTensorInfo(x.shape, 'float32', out);
}

export function elementwiseKernels(addon: NativeAddon, original: (name: string) => KernelFunc): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const [kernelName, op] of Object.entries(binaryOps)) {
    const fallback = original(kernelName);
    configs.push({ kernelName, backendName: 'cpu', kernelFunc: (args) => binary(addon, op, fallback, args) });
  }
  for (const [kernelName, op] of Object.entries(unaryOps)) {
    const fallback = original(kernelName);
    configs.push({ kernelName, backendName: 'cpu', kernelFunc: (args) => unary(addon, op, fallback, args) });
  }
  return configs;
}
