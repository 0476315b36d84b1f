/**
 * Streaming per-pixel mean and variance (Welford 1962): after n samples, mean_n = mean_{n−1} + (x − mean_{n−1})/n,
 * M2_n = M2_{n−1} + (x − mean_{n−1})(x − mean_n); variance = M2/(n − 1). float64 accumulators: 100 samples
 * of float32 values lose nothing. All pixels see the same sample count (tiles are updated batch by batch).
 */
export class WelfordImage {
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  count = 0;

  constructor(readonly height: number, readonly width: number) {
    this.mean = new Float64Array(height * width);
    this.m2 = new Float64Array(height * width);
  }

  /**
   * Adds `samples` images of a region: values[s·sampleStride + (r + rowOffset)·rowStride + c + columnOffset] is
   * sample s at region pixel (r, c); the region's top-left pixel is (top, left) in this image. Call `commit`
   * once every region of the batch is added.
   */
  addRegion(values: Float32Array, samples: number, sampleStride: number, rowStride: number,
    region: { top: number; left: number; height: number; width: number; rowOffset: number; columnOffset: number }): void {
    const { mean, m2 } = this;
    for (let s = 0; s < samples; s++) {
      const n = this.count + s + 1;
      for (let r = 0; r < region.height; r++) {
        let v = s * sampleStride + (r + region.rowOffset) * rowStride + region.columnOffset;
        let p = (region.top + r) * this.width + region.left;
        for (let c = 0; c < region.width; c++, v++, p++) {
          const x = values[v];
          const delta = x - mean[p];
          mean[p] += delta / n;
          m2[p] += delta * (x - mean[p]);
        }
      }
    }
  }

  commit(samples: number): void {
    this.count += samples;
  }

  /** Per-pixel sample standard deviation √(M2/(n − 1)) (0 for n < 2). */
  std(): Float32Array {
    const out = new Float32Array(this.m2.length);
    if (this.count < 2) return out;
    for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(this.m2[i] / (this.count - 1));
    return out;
  }

  /** Monte-Carlo standard error of the mean image: RMS and max over pixels of std/√n. */
  standardError(): { rms: number; max: number } {
    if (this.count < 2) return { rms: Infinity, max: Infinity };
    let sum = 0;
    let max = 0;
    for (let i = 0; i < this.m2.length; i++) {
      sum += this.m2[i];
      if (this.m2[i] > max) max = this.m2[i];
    }
    const scale = 1 / ((this.count - 1) * this.count);
    return { rms: Math.sqrt((sum / this.m2.length) * scale), max: Math.sqrt(max * scale) };
  }
}
