/**
 * Linear convolution through the FFT: both operands zero-padded to P×Q (powers of two,
 * P ≥ H+kh−1, Q ≥ W+kw−1, so nothing wraps), product of spectra, inverse, crop.
 * Real input: rows go through fft.js's real transform (half spectrum, Q/2+1 bins); columns are
 * transformed, multiplied by the kernel's spectrum and transformed back in one pass; the rows
 * that the crop keeps are inverted two at a time (z = a + i·b, both Hermitian).
 */
import FFT from 'fft.js';
import { nextPowerOfTwo } from './fft.ts';

export class FftConvolver {
  readonly outHeight: number;
  readonly outWidth: number;
  private readonly rowFft: FFT;
  private readonly columnFft: FFT;
  private readonly paddedHeight: number;
  private readonly paddedWidth: number;
  private readonly bins: number; // Q/2 + 1
  private readonly kernelSpectrum: Float64Array; // P × bins complex
  private readonly spectrum: Float64Array; // P × bins complex
  private readonly rowIn: Float64Array;
  private readonly rowOut: Float64Array;
  private readonly column: Float64Array;
  private readonly columnOut: Float64Array;
  private readonly packedRow: Float64Array;

  /** `rowOffset`/`colOffset`: where the kept window starts in the full (H+kh−1)×(W+kw−1) result. */
  constructor(
    private readonly height: number,
    private readonly width: number,
    kernel: { data: Float32Array; height: number; width: number },
    outHeight: number,
    outWidth: number,
    private readonly rowOffset: number,
    private readonly colOffset: number,
  ) {
    this.outHeight = outHeight;
    this.outWidth = outWidth;
    this.paddedHeight = nextPowerOfTwo(height + kernel.height - 1);
    this.paddedWidth = nextPowerOfTwo(width + kernel.width - 1);
    this.bins = this.paddedWidth / 2 + 1;
    this.rowFft = new FFT(this.paddedWidth);
    this.columnFft = new FFT(this.paddedHeight);
    this.rowIn = new Float64Array(this.paddedWidth);
    this.rowOut = new Float64Array(2 * this.paddedWidth);
    this.column = new Float64Array(2 * this.paddedHeight);
    this.columnOut = new Float64Array(2 * this.paddedHeight);
    this.packedRow = new Float64Array(2 * this.paddedWidth);
    this.spectrum = new Float64Array(2 * this.paddedHeight * this.bins);
    this.kernelSpectrum = new Float64Array(2 * this.paddedHeight * this.bins);
    this.forwardRows(kernel.data, kernel.height, kernel.width, this.kernelSpectrum);
    this.transformColumns(this.kernelSpectrum, null);
  }

  /** output ← crop(kernel ∗ input); `input` is height×width, `output` outHeight×outWidth. */
  apply(input: Float32Array, output: Float32Array): void {
    this.forwardRows(input, this.height, this.width, this.spectrum);
    this.transformColumns(this.spectrum, this.kernelSpectrum);
    this.inverseRows(output);
  }

  private forwardRows(source: Float32Array, rows: number, columns: number, target: Float64Array): void {
    const { rowIn, rowOut, bins } = this;
    target.fill(0);
    for (let i = 0; i < rows; i++) {
      rowIn.fill(0);
      for (let j = 0; j < columns; j++) rowIn[j] = source[i * columns + j];
      this.rowFft.realTransform(rowOut, rowIn);
      target.set(rowOut.subarray(0, 2 * bins), 2 * i * bins);
    }
  }

  /** Column DFTs; with `multiplier`, also multiply by it and invert (one pass, cache-friendly). */
  private transformColumns(target: Float64Array, multiplier: Float64Array | null): void {
    const { column, columnOut, bins, paddedHeight } = this;
    const stride = 2 * bins;
    for (let j = 0; j < bins; j++) {
      for (let i = 0; i < paddedHeight; i++) {
        column[2 * i] = target[i * stride + 2 * j];
        column[2 * i + 1] = target[i * stride + 2 * j + 1];
      }
      this.columnFft.transform(columnOut, column);
      if (multiplier) {
        for (let i = 0; i < paddedHeight; i++) {
          const index = i * stride + 2 * j;
          const ar = columnOut[2 * i];
          const ai = columnOut[2 * i + 1];
          const br = multiplier[index];
          const bi = multiplier[index + 1];
          columnOut[2 * i] = ar * br - ai * bi;
          columnOut[2 * i + 1] = ar * bi + ai * br;
        }
        this.columnFft.inverseTransform(column, columnOut);
      } else {
        column.set(columnOut);
      }
      for (let i = 0; i < paddedHeight; i++) {
        target[i * stride + 2 * j] = column[2 * i];
        target[i * stride + 2 * j + 1] = column[2 * i + 1];
      }
    }
  }

  private inverseRows(output: Float32Array): void {
    const { rowOut, bins, paddedWidth, spectrum, outHeight, outWidth, rowOffset, colOffset } = this;
    const packed = this.packedRow;
    const stride = 2 * bins;
    for (let i = 0; i < outHeight; i += 2) {
      const a = (rowOffset + i) * stride;
      const hasSecond = i + 1 < outHeight;
      const b = hasSecond ? a + stride : -1;
      // z_k = A_k + i·B_k for all k, using A_{Q−k} = conj(A_k)
      for (let k = 0; k < paddedWidth; k++) {
        const mirrored = k < bins ? k : paddedWidth - k;
        const sign = k < bins ? 1 : -1;
        const ar = spectrum[a + 2 * mirrored];
        const ai = sign * spectrum[a + 2 * mirrored + 1];
        const br = hasSecond ? spectrum[b + 2 * mirrored] : 0;
        const bi = hasSecond ? sign * spectrum[b + 2 * mirrored + 1] : 0;
        packed[2 * k] = ar - bi;
        packed[2 * k + 1] = ai + br;
      }
      this.rowFft.inverseTransform(rowOut, packed);
      for (let j = 0; j < outWidth; j++) output[i * outWidth + j] = rowOut[2 * (colOffset + j)];
      if (hasSecond) for (let j = 0; j < outWidth; j++) output[(i + 1) * outWidth + j] = rowOut[2 * (colOffset + j) + 1];
    }
  }
}
