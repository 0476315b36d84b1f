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
   *  avx512_bf16 through oneDNN); the weights, gradients and Adam state stay f32. Default 'f32'. */
  readonly convPrecision?: ConvPrecision;
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
    kernels.addon.setConvBf16(MODES[options.convPrecision ?? 'f32']);
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
