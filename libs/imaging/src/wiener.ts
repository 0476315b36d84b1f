/**
 * Wiener–Hunt deconvolution with a Laplacian regulariser, equal to scikit-image 0.19
 * `restoration.wiener(image, psf, balance, clip=False)`:
 *   X̂(u,v) = conj(H) · Y / (|H|² + balance · |Λ|²)
 * H: DFT of the PSF zero-padded to the image size and rolled by −⌊k/2⌋ (its centre at the origin,
 * skimage `uft.ir2tf`); Λ = 4 − 2cos(2πu/H) − 2cos(2πv/W), the DFT of the 5-point Laplacian
 * (`uft.laplacian`). skimage's unitary scalings of Y and x̂ cancel. The model is circular:
 * A x = IDFT(H · X).
 */
import type { Image } from './image.ts';
import { ParameterError, PsfError } from './errors.ts';
import { fft2d } from './fft.ts';
import { assertFinite } from './finite.ts';

export interface WienerSolver {
  /** x̂ for one balance (≥ 0). */
  estimate(balance: number): Image;
  /** ‖A x̂ − y‖² for one balance, through Parseval (no inverse transform). */
  residualSquared(balance: number): number;
  /** A x̂ for one balance (circular, as the model): the data the estimate predicts, for a residual weighted per pixel. */
  fitted(balance: number): Image;
}

function checkBalance(balance: number): void {
  if (!Number.isFinite(balance) || balance < 0) throw new ParameterError('WIENER_BALANCE', `balance must be a finite number ≥ 0, got ${balance}`);
}

/** Prepares the spectra of one image and PSF so that many balances cost one multiply + inverse each. */
export function wienerSolver(image: Image, psf: Image): WienerSolver {
  assertFinite(image, 'the image to deconvolve');
  const { height, width } = image;
  if (psf.height > height || psf.width > width) {
    throw new PsfError('PSF_TOO_LARGE', `the PSF (${psf.height}×${psf.width}) must not be larger than the image (${height}×${width})`);
  }
  const n = height * width;
  const transfer = new Float64Array(2 * n);
  const rowShift = Math.floor(psf.height / 2);
  const colShift = Math.floor(psf.width / 2);
  for (let a = 0; a < psf.height; a++) {
    for (let b = 0; b < psf.width; b++) {
      const i = (a - rowShift + height) % height;
      const j = (b - colShift + width) % width;
      transfer[2 * (i * width + j)] += psf.data[a * psf.width + b];
    }
  }
  fft2d(transfer, height, width);
  const spectrum = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) spectrum[2 * i] = image.data[i];
  fft2d(spectrum, height, width);
  const laplacianSquared = new Float64Array(n);
  for (let u = 0; u < height; u++) {
    for (let v = 0; v < width; v++) {
      const value = 4 - 2 * Math.cos((2 * Math.PI * u) / height) - 2 * Math.cos((2 * Math.PI * v) / width);
      laplacianSquared[u * width + v] = value * value;
    }
  }
  const work = new Float64Array(2 * n);

  return {
    estimate(balance) {
      checkBalance(balance);
      for (let k = 0; k < n; k++) {
        const hr = transfer[2 * k];
        const hi = transfer[2 * k + 1];
        const denominator = hr * hr + hi * hi + balance * laplacianSquared[k];
        const yr = spectrum[2 * k];
        const yi = spectrum[2 * k + 1];
        // conj(H)·Y / denominator
        work[2 * k] = (hr * yr + hi * yi) / denominator;
        work[2 * k + 1] = (hr * yi - hi * yr) / denominator;
      }
      fft2d(work, height, width, true);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = work[2 * i];
      return { data, height, width };
    },
    fitted(balance) {
      checkBalance(balance);
      // H·X̂ = |H|²·Y / (|H|² + bΛ²)
      for (let k = 0; k < n; k++) {
        const power = transfer[2 * k] ** 2 + transfer[2 * k + 1] ** 2;
        const denominator = power + balance * laplacianSquared[k];
        const factor = denominator === 0 ? 1 : power / denominator;
        work[2 * k] = factor * spectrum[2 * k];
        work[2 * k + 1] = factor * spectrum[2 * k + 1];
      }
      fft2d(work, height, width, true);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = work[2 * i];
      return { data, height, width };
    },
    residualSquared(balance) {
      checkBalance(balance);
      // R = (H·conj(H)/(|H|² + bΛ²) − 1)·Y = −bΛ²/(|H|² + bΛ²)·Y ;  Σ r² = (1/N) Σ |R|²
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const hr = transfer[2 * k];
        const hi = transfer[2 * k + 1];
        const power = hr * hr + hi * hi;
        const regularised = balance * laplacianSquared[k];
        const factor = power + regularised === 0 ? 1 : regularised / (power + regularised);
        sum += factor * factor * (spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2);
      }
      return sum / n;
    },
  };
}

/** One-shot Wiener deconvolution, skimage-compatible (clip=False). */
export function wiener(image: Image, psf: Image, balance: number): Image {
  checkBalance(balance);
  return wienerSolver(image, psf).estimate(balance);
}
