/**
 * The fast CPU path: tfjs's 'cpu' backend with its heavy kernels (convolutions and their gradients,
 * pooling, elementwise, sums) replaced by @divblur/tfjs-native's oneDNN addon. The addon is built only
 * where `libdnnl-dev` is installed; everywhere else this returns null and the caller falls back (wasm).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import type { ConvPrecision } from './backend.ts';

export interface NativeBackendOptions {
  /** false → null without loading anything (the fallback path, for tests and for comparison runs). */
  readonly enabled?: boolean;
  /** OpenMP threads for the addon; default: what OpenMP chose (OMP_NUM_THREADS, else the cores). */
  readonly threads?: number;
  /** 'bf16': convolutions of ≥ 16 channels in and out with bf16 inputs, f32 accumulation and outputs (AMX or
   *  avx512_bf16 through oneDNN); 'bf16-backward': so in the gradient passes only; the weights, gradients and Adam
   *  state stay f32. 'auto' (the default): autoConvPrecision. */
  readonly convPrecision?: ConvPrecision | 'auto';
}

/**
 * The precision 'auto' picks: bf16 in the backward passes where the CPU has AMX (measured: bench/train-speed.ts 0.71× PyTorch's
 * reference step against 0.87× in f32; test PSNR at 400 steps within seed noise of f32 on dataset1 and dataset2,
 * bench/results/conv-precision.md); f32 everywhere else (avx512_bf16 alone is not measured here).
 */
export function autoConvPrecision(isa: 'amx' | 'avx512_bf16' | 'none'): ConvPrecision {
  return isa === 'amx' ? 'bf16-backward' : 'f32';
}

/** The addon's mode for each precision (backend.ts CONV_PRECISIONS). */
const MODES: Record<ConvPrecision, 0 | 1 | 2> = { f32: 0, bf16: 1, 'bf16-backward': 2 };

/** Loads the addon, registers its kernels for 'cpu' and selects 'cpu'; null (never throws) when unavailable. */
export async function tryLoadNativeBackend(options: NativeBackendOptions = {}): Promise<{ name: string; threads: number; convPrecision: ConvPrecision } | null> {
  if (options.enabled === false) return null;
  try {
    const native = await import('@divblur/tfjs-native');
    const kernels = native.registerNativeKernels();
    if (!kernels) return null;
    if (options.threads !== undefined) kernels.addon.setThreads(options.threads);
    const wanted = options.convPrecision === undefined || options.convPrecision === 'auto' ? autoConvPrecision(kernels.addon.convBf16Isa()) : options.convPrecision;
    kernels.addon.setConvBf16(MODES[wanted]);
    if (!(await tf.setBackend('cpu'))) {
      kernels.unregister();
      return null;
    }
    const set = kernels.addon.convBf16();
    return { name: `onednn-${kernels.dnnlVersion}`, threads: kernels.addon.threads(), convPrecision: (Object.keys(MODES) as ConvPrecision[]).find((k) => MODES[k] === set) ?? 'f32' };
  } catch {
    return null;
  }
}
