/**
 * Noise σ from the data alone. High-pass z = (d ⊗ d) ∗ y / ‖d ⊗ d‖₂ with d = [1, −2, 1]
 * (separable second differences, ‖d ⊗ d‖₂ = 6), so that i.i.d. N(0, σ²) noise gives z with
 * std σ; then the robust MAD estimate σ̂ = 1.4826 · median |z − median z| (Donoho & Johnstone
 * 1994 use the same idea on the finest wavelet band). Blurred signal leaks into z where filaments
 * are; the median ignores it while they cover less than about half of the pixels, and the leak
 * that remains is removed by one correction: pixels whose |z| exceeds 3σ̂ are dropped and the
 * MAD is recomputed with the Gaussian consistency factor of a ±3σ-truncated normal.
 */
import type { Image, Stack } from './image.ts';
import { stackImage } from './image.ts';
import { ImageValueError } from './errors.ts';
import { assertFinite } from './finite.ts';

const MAD_TO_SIGMA = 1.482602218505602; // 1 / Φ⁻¹(3/4)

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Unit-gain high-pass of the interior (H−2)×(W−2) pixels. */
export function highPass(image: Image): Float64Array {
  const { data, height, width } = image;
  const out = new Float64Array((height - 2) * (width - 2));
  const d = [1, -2, 1];
  let k = 0;
  for (let i = 1; i < height - 1; i++) {
    for (let j = 1; j < width - 1; j++) {
      let sum = 0;
      for (let a = -1; a <= 1; a++) {
        const row = (i + a) * width + j;
        sum += d[a + 1] * (data[row - 1] - 2 * data[row] + data[row + 1]);
      }
      out[k++] = sum / 6;
    }
  }
  return out;
}

/** σ̂ of one image's i.i.d. Gaussian noise. */
export function estimateNoiseSigma(image: Image): number {
  if (image.height < 8 || image.width < 8) {
    throw new ImageValueError('NOISE_SIZE', `noise estimation needs at least 8×8 pixels, got ${image.height}×${image.width}`);
  }
  assertFinite(image, 'the image whose noise σ is estimated');
  const z = highPass(image);
  const center = median(z);
  const deviations = z.map((v) => Math.abs(v - center));
  const first = MAD_TO_SIGMA * median(deviations);
  if (first === 0) return 0;
  const kept = deviations.filter((v) => v <= 3 * first);
  return median(kept) / TRUNCATED_MEDIAN_ABS;
}

/** median |z| / σ for z ~ N(0, σ²) given |z| ≤ 3σ: Φ⁻¹(½ + P(|z| ≤ 3σ)/4) (scipy.stats.norm). */
const TRUNCATED_MEDIAN_ABS = 0.6723672950630585;

/** σ̂ pooled over a stack (median of the per-image estimates). */
export function estimateStackNoiseSigma(stack: Stack): number {
  const estimates = Float64Array.from({ length: stack.count }, (_, i) => estimateNoiseSigma(stackImage(stack, i)));
  return median(estimates);
}
