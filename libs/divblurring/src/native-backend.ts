/**
 * The fast CPU path: tfjs's 'cpu' backend with its heavy kernels (convolutions and their gradients,
 * pooling, elementwise, sums) replaced by @divblur/tfjs-native's oneDNN addon. The addon is built only
 * where `libdnnl-dev` is installed; everywhere else this returns null and the caller falls back (wasm).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';

export interface NativeBackendOptions {
  /** false → null without loading anything (the fallback path, for tests and for comparison runs). */
  readonly enabled?: boolean;
  /** OpenMP threads for the addon; default: what OpenMP chose (OMP_NUM_THREADS, else the cores). */
  readonly threads?: number;
  /** 'bf16': convolutions of ≥ 16 channels in and out with bf16 inputs, f32 accumulation and outputs (AMX or
   *  avx512_bf16 through oneDNN); the weights, gradients and Adam state stay f32. Default 'f32'. */
  readonly convPrecision?: 'f32' | 'bf16';
}

/** Loads the addon, registers its kernels for 'cpu' and selects 'cpu'; null (never throws) when unavailable. */
export async function tryLoadNativeBackend(options: NativeBackendOptions = {}): Promise<{ name: string; threads: number; convPrecision: 'f32' | 'bf16' } | null> {
  if (options.enabled === false) return null;
  try {
    const native = await import('@divblur/tfjs-native');
    const kernels = native.registerNativeKernels();
    if (!kernels) return null;
    if (options.threads !== undefined) kernels.addon.setThreads(options.threads);
    kernels.addon.setConvBf16(options.convPrecision === 'bf16');
    if (!(await tf.setBackend('cpu'))) {
      kernels.unregister();
      return null;
    }
    return { name: `onednn-${kernels.dnnlVersion}`, threads: kernels.addon.threads(), convPrecision: kernels.addon.convBf16() ? 'bf16' : 'f32' };
  } catch {
    return null;
  }
}
