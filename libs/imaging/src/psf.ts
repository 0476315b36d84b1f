/**
 * Point-spread functions: Gaussian from FWHM, Gaussian approximation from the optics, and
 * validation of a measured PSF. Every PSF returned here is 2D, odd-sided, finite, ≥ 0, sum 1.
 */
import type { Image } from './image.ts';
import { ParameterError, PsfError } from './errors.ts';

/** σ = FWHM / (2√(2 ln 2)) for a Gaussian. */
export const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

export function sigmaFromFwhm(fwhmPx: number): number {
  return fwhmPx / FWHM_PER_SIGMA;
}

/**
 * Isotropic Gaussian sampled at pixel centres, side 2·ceil(4σ)+1, normalised to sum 1:
 * psf(i, j) ∝ exp(−(i² + j²) / (2σ²)), i, j measured from the centre pixel. It is an exact outer
 * product of one 1D profile, so convolve() takes its separable path.
 */
export function gaussianPsf({ fwhmPx }: { fwhmPx: number }): Image {
  if (!Number.isFinite(fwhmPx) || fwhmPx <= 0) {
    throw new ParameterError('PSF_FWHM', `fwhmPx must be a finite number > 0 (pixels), got ${fwhmPx}`);
  }
  const sigmaPx = sigmaFromFwhm(fwhmPx);
  const radius = Math.ceil(4 * sigmaPx);
  const side = 2 * radius + 1;
  const profile = new Float64Array(side);
  let profileSum = 0;
  for (let i = 0; i < side; i++) {
    const offset = i - radius;
    profile[i] = Math.exp(-(offset * offset) / (2 * sigmaPx * sigmaPx));
    profileSum += profile[i];
  }
  const data = new Float32Array(side * side);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) data[i * side + j] = (profile[i] * profile[j]) / (profileSum * profileSum);
  }
  return { data, height: side, width: side };
}

export interface OpticsPsfOptions {
  /** Numerical aperture of the objective. */
  na: number;
  emissionWavelengthNm: number;
  /** Refractive index of the immersion medium (bounds NA: NA ≤ n). */
  refractiveIndex: number;
  /** Pixel size in the sample plane (nm). */
  pixelSizeNm: number;
  mode: 'widefield' | 'confocal';
}

/**
 * Lateral Gaussian approximation of the diffraction-limited PSF, from Zhang, Zerubia &
 * Olivo-Marin, "Gaussian approximations of fluorescence microscope point-spread function
 * models", Appl. Opt. 46(10):1819–1829 (2007), Table 2, paraxial limits:
 *   widefield (WFFM):           σ_xy ≈ 0.21 λ_em / NA
 *   confocal (LSCM, pinhole→0): σ_xy ≈ 0.15 λ / NA  (λ_ex ≈ λ_em assumed)
 * The paraxial formulas do not depend on n; n is checked (NA ≤ n) and kept for the record.
 * Returns the PSF with the σ and FWHM it used, in pixels.
 */
export function gaussianPsfFromOptics(options: OpticsPsfOptions): { psf: Image; sigmaPx: number; fwhmPx: number } {
  const { na, emissionWavelengthNm, refractiveIndex, pixelSizeNm, mode } = options;
  const positive = { na, emissionWavelengthNm, refractiveIndex, pixelSizeNm };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isFinite(value) || value <= 0) throw new ParameterError('PSF_OPTICS', `${name} must be a finite number > 0, got ${value}`);
  }
  if (refractiveIndex < 1) throw new ParameterError('PSF_OPTICS', `refractiveIndex must be ≥ 1, got ${refractiveIndex}`);
  if (na > refractiveIndex) {
    throw new ParameterError('PSF_OPTICS', `na (${na}) cannot exceed the refractive index of the medium (${refractiveIndex})`);
  }
  if (mode !== 'widefield' && mode !== 'confocal') {
    throw new ParameterError('PSF_OPTICS', `mode must be 'widefield' or 'confocal', got ${String(mode)}`);
  }
  const coefficient = mode === 'widefield' ? 0.21 : 0.15;
  const sigmaPx = (coefficient * emissionWavelengthNm) / na / pixelSizeNm;
  const fwhmPx = sigmaPx * FWHM_PER_SIGMA;
  return { psf: gaussianPsf({ fwhmPx }), sigmaPx, fwhmPx };
}

/** Validates a measured PSF (2D, odd sides, finite, ≥ 0, not all zero) and normalises it to sum 1. */
export function psfFromImage(image: Image): Image {
  const { data, height, width } = image;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1 || data.length !== height * width) {
    throw new PsfError('PSF_SHAPE', `a PSF must be one 2D image with height·width values, got ${height}×${width} with ${data.length} values`);
  }
  if (height % 2 === 0 || width % 2 === 0) {
    throw new PsfError('PSF_EVEN', `PSF sides must be odd so that it has a centre pixel, got ${height}×${width}; crop or pad it to odd sides`);
  }
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (!Number.isFinite(value)) {
      throw new PsfError('PSF_NOT_FINITE', `PSF value at row ${Math.floor(i / width)}, column ${i % width} is ${value}; all values must be finite`);
    }
    if (value < 0) {
      throw new PsfError('PSF_NEGATIVE', `PSF value at row ${Math.floor(i / width)}, column ${i % width} is ${value}; a PSF must be ≥ 0 (subtract the background and clip first)`);
    }
    sum += value;
  }
  if (sum === 0) throw new PsfError('PSF_ZERO', 'the PSF is all zero; it needs a positive total intensity');
  const normalised = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) normalised[i] = data[i] / sum;
  return { data: normalised, height, width };
}
