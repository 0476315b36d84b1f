/**
 * Each posterior sample's squared error against the ground truth, MSE_s = (1/HW) Σ_p (x_s[p] − GT[p])²,
 * summed region by region as the sample's tiles are decoded, so that no sample image is kept: what the
 * report's mean per-sample PSNR, (1/S) Σ_s 20 log10(max GT / √MSE_s), needs and the Welford mean cannot give.
 * Padding pixels (outside the H × W image, which sits at (offset, offset) in the padded image) do not count.
 */
import type { Image } from '@divblur/imaging';

export class SampleSquaredErrors {
  private readonly sums: number[] = [];

  constructor(private readonly groundTruth: Image, private readonly offset = 0) {}

  /**
   * Adds `samples` decoded samples of a region, numbered from `firstSample`; `values` is laid out as in
   * `WelfordImage.addRegion` (region pixel (r, c) of sample s at s·sampleStride + (r + rowOffset)·rowStride
   * + c + columnOffset; the region's top-left pixel is (top, left) in the padded image).
   */
  addRegion(firstSample: number, values: Float32Array, samples: number, sampleStride: number, rowStride: number,
    region: { top: number; left: number; height: number; width: number; rowOffset: number; columnOffset: number }): void {
    const { data, height, width } = this.groundTruth;
    // the region's rows and columns that fall on the image: [first, last) in region coordinates
    const firstRow = Math.max(0, this.offset - region.top);
    const lastRow = Math.min(region.height, this.offset + height - region.top);
    const firstColumn = Math.max(0, this.offset - region.left);
    const lastColumn = Math.min(region.width, this.offset + width - region.left);
    for (let s = 0; s < samples; s++) {
      let sum = 0;
      for (let r = firstRow; r < lastRow; r++) {
        let v = s * sampleStride + (r + region.rowOffset) * rowStride + region.columnOffset + firstColumn;
        let p = (region.top + r - this.offset) * width + region.left + firstColumn - this.offset;
        for (let c = firstColumn; c < lastColumn; c++, v++, p++) {
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
