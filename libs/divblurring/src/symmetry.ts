/**
 * Which of the 8 symmetries of the square (the dihedral group D4, numbered as in data.ts) a PSF has, and so which
 * may augment the training patches and average the MMSE at test time.
 *
 * A patch turned by k was blurred by the turned PSF: T_k(y) = T_k(A) T_k(x) + noise. The likelihood convolves
 * with A, so it explains T_k(y) only when T_k(A) = A. A Gaussian or Airy PSF has all 8 symmetries; an astigmatic
 * one (elliptical) keeps the two mirrors and the half turn; a comatic one, or one whose peak is off the centre
 * pixel, keeps at most one mirror. Training with all 8 on such a PSF asks the network to deconvolve by A images
 * that were blurred by T_k(A); bench/psf-symmetry.ts measures what that costs.
 * A transform that changes the PSF's shape (a transpose of a non-square PSF) is never a symmetry.
 */
import { ALL_TRANSFORMS, dihedral } from './data.ts';
import type { Image } from './imaging.ts';

export { ALL_TRANSFORMS, dihedral, transformListProblem, undoDihedral } from './data.ts';

/**
 * Default tolerance on ‖T_k(A) − A‖₁ / ‖A‖₁, the fraction of the PSF's energy the transform moves. For an image
 * x ≥ 0 the model error a transform adds, (T_k(A) − A) ∗ x, is then at most this fraction of the image's peak:
 * 0.01 of a peak of 1 is a third of dataset1's noise σ (0.03). A Gaussian sampled on the pixel grid is exactly
 * symmetric; an FWHM 5 % longer along one axis moves 0.05 of the energy under a transpose
 * (psf-symmetry.test.ts).
 */
export const PSF_SYMMETRY_TOLERANCE = 0.01;

/** The fraction of the PSF's energy (L1) that transform k moves; Infinity when it changes the PSF's shape. */
export function psfAsymmetry(psf: Image, k: number): number {
  const turned = dihedral(psf, k);
  if (turned.height !== psf.height || turned.width !== psf.width) return Infinity;
  let moved = 0;
  let total = 0;
  for (let i = 0; i < psf.data.length; i++) {
    moved += Math.abs(turned.data[i] - psf.data[i]);
    total += Math.abs(psf.data[i]);
  }
  return total > 0 ? moved / total : 0;
}

/**
 * The transforms (ascending, always including the identity 0) that leave the PSF unchanged within `tolerance`.
 * Without a PSF (DivNoising: A is the identity) all 8.
 */
export function psfSymmetries(psf: Image | null, tolerance: number = PSF_SYMMETRY_TOLERANCE): number[] {
  if (psf === null) return [...ALL_TRANSFORMS];
  return ALL_TRANSFORMS.filter((k) => k === 0 || psfAsymmetry(psf, k) <= tolerance);
}

/**
 * The transforms test-time averaging may use for a model: the PSF's symmetries, within those the model was
 * trained with (models from before `augmentations` was recorded trained with all 8).
 */
export function testTimeTransforms(model: { readonly psf: Image | null; readonly training: Record<string, unknown> }): number[] {
  const trained = (model.training.hyperparameters as { augmentations?: readonly number[] } | undefined)?.augmentations ?? ALL_TRANSFORMS;
  return psfSymmetries(model.psf).filter((k) => trained.includes(k));
}
