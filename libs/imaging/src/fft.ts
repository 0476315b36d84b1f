/**
 * Discrete Fourier transforms on interleaved complex Float64Arrays ([re0, im0, re1, im1, …]).
 * Powers of two run on fft.js (radix-4); other lengths through Bluestein's chirp-z algorithm
 * (X_k = conj(w_k) Σ_n (x_n conj(w_n)) w_{k−n}, w_n = e^{iπn²/N}) on a power-of-two FFT.
 * Convention as numpy: forward X_k = Σ x_n e^{−2πikn/N}, inverse divides by N.
 */
import FFT from 'fft.js';

export function nextPowerOfTwo(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}

const isPowerOfTwo = (n: number): boolean => n >= 2 && (n & (n - 1)) === 0;

/** A planned 1D complex DFT of one length; reusable, not re-entrant. */
export class ComplexDft {
  readonly length: number;
  private readonly radix: FFT | null;
  private readonly scratch: Float64Array;
  // Bluestein plan
  private readonly chirp: Float64Array | null = null; // w_n = e^{iπn²/N}, n < N
  private readonly chirpSpectrum: Float64Array | null = null; // FFT of the wrapped chirp, length M
  private readonly inner: FFT | null = null;
  private readonly work: Float64Array | null = null;
  private readonly product: Float64Array | null = null;

  constructor(length: number) {
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`DFT length must be a positive integer, got ${length}`);
    this.length = length;
    this.scratch = new Float64Array(2 * length);
    if (isPowerOfTwo(length)) {
      this.radix = new FFT(length);
      return;
    }
    this.radix = null;
    if (length === 1) return;
    const m = nextPowerOfTwo(2 * length - 1);
    this.inner = new FFT(m);
    this.work = new Float64Array(2 * m);
    this.product = new Float64Array(2 * m);
    const chirp = new Float64Array(2 * length);
    for (let n = 0; n < length; n++) {
      const angle = (Math.PI * ((n * n) % (2 * length))) / length; // n² mod 2N keeps the angle exact
      chirp[2 * n] = Math.cos(angle);
      chirp[2 * n + 1] = Math.sin(angle);
    }
    const wrapped = new Float64Array(2 * m);
    for (let n = 0; n < length; n++) {
      wrapped[2 * n] = chirp[2 * n];
      wrapped[2 * n + 1] = chirp[2 * n + 1];
      if (n > 0) {
        wrapped[2 * (m - n)] = chirp[2 * n];
        wrapped[2 * (m - n) + 1] = chirp[2 * n + 1];
      }
    }
    this.chirp = chirp;
    this.chirpSpectrum = new Float64Array(2 * m);
    this.inner.transform(this.chirpSpectrum, wrapped);
  }

  /** In place: data ← DFT(data) (inverse: ← IDFT(data), divided by N). */
  transform(data: Float64Array, inverse = false, offset = 0): void {
    const n = this.length;
    if (n === 1) return;
    const scratch = this.scratch;
    for (let i = 0; i < 2 * n; i++) scratch[i] = data[offset + i];
    if (this.radix) {
      const out = data.subarray(offset, offset + 2 * n);
      if (inverse) this.radix.inverseTransform(out, scratch);
      else this.radix.transform(out, scratch);
      return;
    }
    this.bluestein(scratch, inverse);
    const scale = inverse ? 1 / n : 1;
    for (let i = 0; i < 2 * n; i++) data[offset + i] = scratch[i] * scale;
  }

  private bluestein(values: Float64Array, inverse: boolean): void {
    const n = this.length;
    const chirp = this.chirp!;
    const work = this.work!;
    const inner = this.inner!;
    const spectrum = this.chirpSpectrum!;
    const m = work.length / 2;
    // inverse DFT = conj(DFT(conj(x)))
    const sign = inverse ? -1 : 1;
    work.fill(0);
    for (let k = 0; k < n; k++) {
      const re = values[2 * k];
      const im = sign * values[2 * k + 1];
      const cr = chirp[2 * k];
      const ci = chirp[2 * k + 1];
      work[2 * k] = re * cr + im * ci; // x · conj(w)
      work[2 * k + 1] = im * cr - re * ci;
    }
    const transformed = this.product!;
    inner.transform(transformed, work);
    for (let k = 0; k < m; k++) {
      const ar = transformed[2 * k];
      const ai = transformed[2 * k + 1];
      const br = spectrum[2 * k];
      const bi = spectrum[2 * k + 1];
      transformed[2 * k] = ar * br - ai * bi;
      transformed[2 * k + 1] = ar * bi + ai * br;
    }
    inner.inverseTransform(work, transformed);
    for (let k = 0; k < n; k++) {
      const re = work[2 * k];
      const im = work[2 * k + 1];
      const cr = chirp[2 * k];
      const ci = chirp[2 * k + 1];
      values[2 * k] = re * cr + im * ci;
      values[2 * k + 1] = sign * (im * cr - re * ci);
    }
  }
}

/** In-place 2D DFT of an interleaved complex height×width array (rows, then columns). */
export function fft2d(data: Float64Array, height: number, width: number, inverse = false): void {
  if (data.length !== 2 * height * width) throw new RangeError(`fft2d needs ${2 * height * width} values, got ${data.length}`);
  const rows = new ComplexDft(width);
  for (let i = 0; i < height; i++) rows.transform(data, inverse, 2 * i * width);
  const columns = new ComplexDft(height);
  const column = new Float64Array(2 * height);
  for (let j = 0; j < width; j++) {
    for (let i = 0; i < height; i++) {
      column[2 * i] = data[2 * (i * width + j)];
      column[2 * i + 1] = data[2 * (i * width + j) + 1];
    }
    columns.transform(column, inverse);
    for (let i = 0; i < height; i++) {
      data[2 * (i * width + j)] = column[2 * i];
      data[2 * (i * width + j) + 1] = column[2 * i + 1];
    }
  }
}
