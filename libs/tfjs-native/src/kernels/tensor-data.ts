// Reading and writing the cpu backend's storage: tensors there are TypedArrays keyed by dataId.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

/** The float32 values of a tensor, or null when it is not a plain float32 tensor (complex, other dtype). */
export function floatsOf(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/**
 * A Float32Array whose contents are undefined (no zero fill): for outputs a native kernel overwrites
 * entirely. Zero-filling a 16 MB activation costs about as much as the elementwise op itself. Its own
 * ArrayBuffer (allocUnsafeSlow never slices Node's shared pool), so it is safe to keep as tensor storage.
 */
export function uninitialisedFloats(length: number): Float32Array {
  const bytes = Buffer.allocUnsafeSlow(length * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, length);
}
