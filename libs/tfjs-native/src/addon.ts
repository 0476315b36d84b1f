// Loads the compiled oneDNN addon if the install script built it; null otherwise (never throws).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Integers [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, padTop, padLeft, padBottom, padRight]. */
export type ConvGeometry = number[];
/** Integers [n, ih, iw, c, oh, ow, kh, kw, sh, sw] of a 'valid' pooling window. */
export type PoolGeometry = number[];

export interface NativeAddon {
  convForward(g: ConvGeometry, x: Float32Array, filter: Float32Array, bias: Float32Array | null, relu: boolean, out: Float32Array): void;
  convBackwardData(g: ConvGeometry, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  convBackwardWeights(g: ConvGeometry, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** The backward pass of relu(conv(x) + b): dx, dw and db from dy and the output y (native/conv.h). */
  convReluBackward(g: ConvGeometry, dy: Float32Array, y: Float32Array, x: Float32Array, filter: Float32Array,
    dx: Float32Array, dw: Float32Array, db: Float32Array): void;
  convImplNames(g: ConvGeometry): string;
  maxPoolForward(g: PoolGeometry, x: Float32Array, out: Float32Array): void;
  maxPoolBackward(g: PoolGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** op: 0 add, 1 sub, 2 mul, 3 div; broadcast: see Broadcast in native/eltwise.h. */
  binary(op: number, broadcast: number, size: number, period: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** op: 0 relu, 1 step, 2 neg, 3 exp, 4 square, 5 sqrt, 6 log. */
  unary(op: number, alpha: number, x: Float32Array, out: Float32Array): void;
  reduceSum(outer: number, reduced: number, inner: number, x: Float32Array, out: Float32Array): void;
  /** dz = dy·[y > 0] and db = Σ over rows of dz, for [rows, channels] tensors (native/eltwise.h). */
  reluBiasBackprop(rows: number, channels: number, dy: Float32Array, y: Float32Array, dz: Float32Array, db: Float32Array): void;
  /** One Adam step over equal-sized arrays into pOut, mOut, vOut (native/eltwise.h). */
  adamUpdate(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, beta1: number, oneMinusBeta1: number, beta2: number,
    oneMinusBeta2: number, epsilon: number, stepSize: number, secondMomentCorrection: number, pOut: Float32Array, mOut: Float32Array,
    vOut: Float32Array): void;
  slice(shape: number[], begin: number[], size: number[], x: Float32Array, out: Float32Array): void;
  batchMatMul(batchA: number, batchB: number, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean,
    a: Float32Array, b: Float32Array, out: Float32Array): void;
  transpose(shape: number[], perm: number[], x: Float32Array, out: Float32Array): void;
  /**
   * bf16 convolutions (bf16 inputs, f32 accumulation and outputs) on layers with ≥ 16 input and output channels:
   * 0 none, 1 every pass, 2 the backward passes only. Returns what is now set: 0 where the CPU has no optimised bf16
   * convolutions (then f32 stays).
   */
  setConvBf16(mode: 0 | 1 | 2): number;
  convBf16(): number;
  /** What would run bf16 convolutions on this CPU: 'amx', 'avx512_bf16' or 'none'. */
  convBf16Isa(): 'amx' | 'avx512_bf16' | 'none';
  threads(): number;
  /** OpenMP threads for every later call. */
  setThreads(threads: number): void;
  /** Returns free malloc pages to the OS (so that RSS measures live memory); true if any were released. */
  trimMemory(): boolean;
  dnnlVersion(): string;
}

export const addonPath = fileURLToPath(new URL('../build/Release/divblur_tfjs_native.node', import.meta.url));

let cached: NativeAddon | null | undefined;

/**
 * The addon, or null when it was not built here (no libdnnl-dev), fails to load, or DIVBLUR_NATIVE=off
 * (the one switch that forces tfjs's own kernels, for comparison runs and the fallback test).
 */
export function loadAddon(): NativeAddon | null {
  if (cached !== undefined) return cached;
  cached = null;
  if (process.env.DIVBLUR_NATIVE === 'off' || !existsSync(addonPath)) return cached;
  try {
    cached = createRequire(import.meta.url)(addonPath) as NativeAddon;
  } catch {
    cached = null;
  }
  return cached;
}
