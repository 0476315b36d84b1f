/**
 * 2D linear convolution, the forward model A of y = A x + n.
 * True convolution (kernel flipped): full(p, q) = Σ_{a,b} k(a, b) · x(p − a, q − b), zero outside x.
 *  - 'same':  H×W, the centred window of 'full' starting at ((kh−1)/2, (kw−1)/2) (scipy.signal
 *             convention), i.e. zero padding around the image.
 *  - 'valid': (H−kh+1)×(W−kw+1), only where the kernel lies wholly inside the image.
 * Three paths give the same result (to float rounding): direct (row axpys, no allocation in the
 * loops), separable (two 1D passes when the kernel is an outer product, e.g. a Gaussian), FFT.
 * A plan (`createConvolver`) keeps buffers and the kernel's spectrum for repeated use (RL).
 */
import type { Image } from './image.ts';
import { ImageValueError, ParameterError } from './errors.ts';
import { FftConvolver } from './convolve-fft.ts';
import { nextPowerOfTwo } from './fft.ts';

export type ConvolutionMode = 'same' | 'valid';
export type ConvolutionMethod = 'direct' | 'separable' | 'fft';

export interface Convolver {
  readonly method: ConvolutionMethod;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Writes kernel ∗ input into `output` (allocated when absent) and returns it. */
  apply(input: Float32Array, output?: Float32Array): Float32Array;
}

/**
 * Relative cost per multiply-add of the direct loops and per (P·Q·log2(P·Q)) of the FFT path,
 * measured by bench/imaging.ts (bench/results/imaging.md): both ≈ 2.5–7 ns on this 2-core Xeon,
 * so one FFT point·log2 costs about one direct multiply-add.
 */
export const DIRECT_COST_PER_MAC = 1;
export const FFT_COST_PER_POINT_LOG = 1;

/** A separable kernel as column ⊗ row, or null when k(a,b) ≠ col(a)·row(b) beyond 1e-6·max. */
export function separableFactors(kernel: Image): { column: Float64Array; row: Float64Array } | null {
  const { data, height, width } = kernel;
  let peak = 0;
  for (let i = 1; i < data.length; i++) if (Math.abs(data[i]) > Math.abs(data[peak])) peak = i;
  const peakValue = data[peak];
  if (peakValue === 0) return null;
  const p = Math.floor(peak / width);
  const q = peak % width;
  const column = new Float64Array(height);
  const row = new Float64Array(width);
  for (let a = 0; a < height; a++) column[a] = data[a * width + q];
  for (let b = 0; b < width; b++) row[b] = data[p * width + b] / peakValue;
  const tolerance = 1e-6 * Math.abs(peakValue);
  for (let a = 0; a < height; a++) {
    for (let b = 0; b < width; b++) if (Math.abs(data[a * width + b] - column[a] * row[b]) > tolerance) return null;
  }
  return { column, row };
}

/**
 * out(i, j) = Σ_{a,b} k(a, b) · src(i + rowOffset − a, j + colOffset − b), zero outside src.
 * `flipped` holds k rotated by 180°, so that each (row a, pixel j) is a dot product over
 * increasing indices of both arrays, summed in a register; edges clamp the b range.
 */
function accumulateRows(
  src: Float32Array, srcHeight: number, srcWidth: number,
  flipped: Float64Array, kernelHeight: number, kernelWidth: number,
  out: Float32Array, outHeight: number, outWidth: number, rowOffset: number, colOffset: number,
  accumulator: Float64Array,
): void {
  const lastB = kernelWidth - 1;
  for (let i = 0; i < outHeight; i++) {
    accumulator.fill(0, 0, outWidth);
    for (let a = 0; a < kernelHeight; a++) {
      const r = i + rowOffset - a;
      if (r < 0 || r >= srcHeight) continue;
      if (kernelWidth === 1) {
        // a column kernel: one contiguous axpy per kernel row
        const weight = flipped[kernelHeight - 1 - a];
        const base = r * srcWidth + colOffset;
        const jEnd = Math.min(outWidth, srcWidth - colOffset);
        for (let j = 0; j < jEnd; j++) accumulator[j] += weight * src[base + j];
        continue;
      }
      // flipped row index fa = kernelHeight−1−a; src column = j + colOffset − lastB + fb
      const kernelStart = (kernelHeight - 1 - a) * kernelWidth;
      const shift = colOffset - lastB;
      const rowStart = r * srcWidth + shift;
      for (let j = 0; j < outWidth; j++) {
        const first = j + shift;
        const fbStart = first < 0 ? -first : 0;
        const fbEnd = Math.min(kernelWidth, srcWidth - first);
        let sum = 0;
        for (let fb = fbStart; fb < fbEnd; fb++) sum += flipped[kernelStart + fb] * src[rowStart + j + fb];
        accumulator[j] += sum;
      }
    }
    const outStart = i * outWidth;
    for (let j = 0; j < outWidth; j++) out[outStart + j] = accumulator[j];
  }
}

function rotated(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[values.length - 1 - i];
  return out;
}

function checkInputs(height: number, width: number, psf: Image, mode: ConvolutionMode): void {
  if (mode !== 'same' && mode !== 'valid') throw new ParameterError('CONVOLUTION_MODE', `mode must be 'same' or 'valid', got ${String(mode)}`);
  if (psf.data.length !== psf.height * psf.width || psf.height < 1 || psf.width < 1) {
    throw new ParameterError('CONVOLUTION_KERNEL', `kernel must hold height·width values, got ${psf.height}×${psf.width} with ${psf.data.length}`);
  }
  if (mode === 'valid' && (height < psf.height || width < psf.width)) {
    throw new ParameterError('CONVOLUTION_VALID', `'valid' needs the image (${height}×${width}) at least as large as the kernel (${psf.height}×${psf.width})`);
  }
}

/** Picks the cheapest path by the cost model above. */
export function chooseConvolutionMethod(height: number, width: number, psf: Image): ConvolutionMethod {
  const separable = separableFactors(psf) !== null;
  const directCost = DIRECT_COST_PER_MAC * height * width * (separable ? psf.height + psf.width : psf.height * psf.width);
  const points = nextPowerOfTwo(height + psf.height - 1) * nextPowerOfTwo(width + psf.width - 1);
  const fftCost = FFT_COST_PER_POINT_LOG * points * Math.log2(points);
  if (fftCost < directCost) return 'fft';
  return separable ? 'separable' : 'direct';
}

export function createConvolver(
  height: number, width: number, psf: Image, mode: ConvolutionMode, method?: ConvolutionMethod,
): Convolver {
  checkInputs(height, width, psf, mode);
  const chosen = method ?? chooseConvolutionMethod(height, width, psf);
  const outHeight = mode === 'same' ? height : height - psf.height + 1;
  const outWidth = mode === 'same' ? width : width - psf.width + 1;
  const rowOffset = mode === 'same' ? (psf.height - 1) >> 1 : psf.height - 1;
  const colOffset = mode === 'same' ? (psf.width - 1) >> 1 : psf.width - 1;
  const size = height * width;
  const allocate = (output?: Float32Array): Float32Array => {
    if (!output) return new Float32Array(outHeight * outWidth);
    if (output.length !== outHeight * outWidth) throw new ParameterError('CONVOLUTION_OUTPUT', `output needs ${outHeight * outWidth} values, got ${output.length}`);
    return output;
  };
  const checkInput = (input: Float32Array): void => {
    if (input.length !== size) throw new ImageValueError('CONVOLUTION_INPUT', `input needs ${height}×${width} = ${size} values, got ${input.length}`);
  };

  if (chosen === 'fft') {
    const plan = new FftConvolver(height, width, psf, outHeight, outWidth, rowOffset, colOffset);
    return { method: chosen, outHeight, outWidth, apply(input, output) { checkInput(input); const out = allocate(output); plan.apply(input, out); return out; } };
  }
  const accumulator = new Float64Array(Math.max(width, outWidth));
  if (chosen === 'separable') {
    const factors = separableFactors(psf);
    if (!factors) throw new ParameterError('CONVOLUTION_METHOD', 'method "separable" needs a kernel that is an outer product of two vectors');
    const intermediate = new Float32Array(height * outWidth);
    const row = rotated(factors.row);
    const column = rotated(factors.column);
    return {
      method: chosen, outHeight, outWidth,
      apply(input, output) {
        checkInput(input);
        const out = allocate(output);
        // rows: 1D kernel along the width, all H rows; then columns: 1D kernel down the height
        accumulateRows(input, height, width, row, 1, psf.width, intermediate, height, outWidth, 0, colOffset, accumulator);
        accumulateRows(intermediate, height, outWidth, column, psf.height, 1, out, outHeight, outWidth, rowOffset, 0, accumulator);
        return out;
      },
    };
  }
  if (chosen !== 'direct') throw new ParameterError('CONVOLUTION_METHOD', `method must be 'direct', 'separable' or 'fft', got ${String(chosen)}`);
  const flipped = rotated(psf.data);
  return {
    method: chosen, outHeight, outWidth,
    apply(input, output) {
      checkInput(input);
      const out = allocate(output);
      accumulateRows(input, height, width, flipped, psf.height, psf.width, out, outHeight, outWidth, rowOffset, colOffset, accumulator);
      return out;
    },
  };
}

/** One-shot convolution (see the file comment for modes and convention). */
export function convolve(image: Image, psf: Image, mode: ConvolutionMode = 'same', method?: ConvolutionMethod): Image {
  const convolver = createConvolver(image.height, image.width, psf, mode, method);
  return { data: convolver.apply(image.data), height: convolver.outHeight, width: convolver.outWidth };
}

/** The kernel rotated by 180°: convolving with it is correlating with the original (the adjoint of 'same'-mode A for odd kernels). */
export function flipKernel(psf: Image): Image {
  const data = new Float32Array(psf.data.length);
  for (let i = 0; i < data.length; i++) data[i] = psf.data[data.length - 1 - i];
  return { data, height: psf.height, width: psf.width };
}

/** Correlation c(i, j) = Σ k(a, b) · x(i + a − c_h, j + b − c_w): convolution with the flipped kernel. */
export function correlate(image: Image, psf: Image, mode: ConvolutionMode = 'same', method?: ConvolutionMethod): Image {
  return convolve(image, flipKernel(psf), mode, method);
}
