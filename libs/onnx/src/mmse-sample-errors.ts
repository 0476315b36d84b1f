/**
 * Each posterior sample's squared error against the ground truth, MSE_s = (1/HW) Σ_p (x_s[p] − GT[p])²,
 * summed region by region as the sample's tiles are decoded, so that no sample image is kept: what the
 * report's mean per-sample PSNR, (1/S) Σ_s 20 log10(max GT / √MSE_s), needs and the Welford mean cannot give.
 * Padding pixels (outside the H × W image) do not count.
 */
import type { Image } from '@divblur/imaging';

export class SampleSquaredErrors {
  private readonly sums: number[] = [];

  constructor(private readonly groundTruth: Image) {}

  /**
   * Adds `samples` decoded samples of a region, numbered from `firstSample`; `values` is laid out as in
   * `WelfordImage.addRegion` (region pixel (r, c) of sample s at s·sampleStride + (r + rowOffset)·rowStride
   * + c + columnOffset; the region's top-left pixel is (top, left) in the padded image).
   */
  addRegion(firstSample: number, values: Float32Array, samples: number, sampleStride: number, rowStride: number,
    region: { top: number; left: number; height: number; width: number; rowOffset: number; columnOffset: number }): void {
    const { data, height, width } = this.groundTruth;
    const rows = Math.min(region.height, height - region.top);
    const columns = Math.min(region.width, width - region.left);
    for (let s = 0; s < samples; s++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) {
        let v = s * sampleStride + (r + region.rowOffset) * rowStride + region.columnOffset;
        let p = (region.top + r) * width + region.left;
        for (let c = 0; c < columns; c++, v++, p++) {
          const difference = values[v] - data[p];
          sum += difference * difference;
        }
      }
      this.sums[firstSample + s] = (this.sums[firstSample + s] ?? 0) + sum;
    }
  }

  /** MSE of each of the first `count` samples against the ground truth. */
  meanSquaredErrors(count: number): Float64Array {
    const pixels = this.groundTruth.height * this.groundTruth.width;
    return Float64Array.from({ length: count }, (_, s) => (this.sums[s] ?? 0) / pixels);
  }
}
