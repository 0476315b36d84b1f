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
}

/** Loads the addon, registers its kernels for 'cpu' and selects 'cpu'; null (never throws) when unavailable. */
export async function tryLoadNativeBackend(options: NativeBackendOptions = {}): Promise<{ name: string; threads: number } | null> {
  if (options.enabled === false) return null;
  try {
    const native = await import('@divblur/tfjs-native');
    const kernels = native.registerNativeKernels();
    if (!kernels) return null;
    if (options.threads !== undefined) kernels.addon.setThreads(options.threads);
    if (!(await tf.setBackend('cpu'))) {
      kernels.unregister();
      return null;
    }
    return { name: `onednn-${kernels.dnnlVersion}`, threads: kernels.addon.threads() };
  } catch {
    return null;
  }
}
