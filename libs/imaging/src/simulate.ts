/**
 * Synthetic microtubule-like data (the report's simulated filaments): worm-like chains drawn
 * anti-aliased (supersampled ×4, box-averaged), ground truth scaled to max 1 on background 0,
 * blurred by LINEAR convolution — the canvas is larger than the image by the PSF radius on every
 * side and the 'valid' window is kept, so no wrap-around and no zero-border artefact — then
 * i.i.d. Gaussian noise: y = P ∗ x + σ·n, n ~ N(0, 1).
 * Chains are discrete worm-like chains: tangent angle θ_{t+1} = θ_t + N(0, Δs/ℓ_p), which in 2D
 * gives ⟨cos(θ(s) − θ(0))⟩ = exp(−s / (2ℓ_p)).
 */
import type { Image, Stack } from './image.ts';
import { ParameterError } from './errors.ts';
import { Random } from './random.ts';
import { gaussianPsf } from './psf.ts';
import { createConvolver } from './convolve.ts';

export type SimulationPreset = 'dataset1' | 'dataset2';

/** The report's two datasets: low noise with a wide PSF, high noise with a narrower one. */
export const SIMULATION_PRESETS: Record<SimulationPreset, { fwhmPx: number; noiseSigma: number; pixelSizeNm: number }> = {
  dataset1: { fwhmPx: 3.8, noiseSigma: 0.03, pixelSizeNm: 25 },
  dataset2: { fwhmPx: 3.0, noiseSigma: 0.11, pixelSizeNm: 25 },
};

/** Geometry of the filaments, in pixels of the output image. */
export const FILAMENT_GEOMETRY = {
  supersampling: 4,
  /** Line width ≈ a microtubule's 25 nm at 25 nm pixels. */
  lineWidthPx: 1,
  stepPx: 0.5,
  persistenceLengthPx: 40,
  lengthPx: [40, 220] as const,
  /** Chains per 128×128 of canvas (scaled with the area). */
  chainsPer128Squared: [8, 16] as const,
  brightness: [0.6, 1] as const,
};

/** Image side (px) of a simulation that names none. */
export const DEFAULT_SIMULATION_SIZE = 128;

export interface SimulationOptions {
  preset: SimulationPreset;
  count: number;
  size?: number;
  seed: number;
  noiseSigma?: number;
}

export interface Simulation {
  noisy: Stack;
  groundTruth: Stack;
  psf: Image;
  noiseSigma: number;
  fwhmPx: number;
  pixelSizeNm: number;
}

/** Marks sub-pixels within `radius` of segment (ax, ay)–(bx, by), each at most once per chain. */
function drawSegment(
  intensity: Float32Array, stamp: Int32Array, side: number, chainId: number, brightness: number,
  ax: number, ay: number, bx: number, by: number, radius: number,
): void {
  const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - radius));
  const x1 = Math.min(side - 1, Math.ceil(Math.max(ax, bx) + radius));
  const y0 = Math.max(0, Math.floor(Math.min(ay, by) - radius));
  const y1 = Math.min(side - 1, Math.ceil(Math.max(ay, by) + radius));
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const radiusSquared = radius * radius;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5; // sub-pixel centre
    for (let x = x0; x <= x1; x++) {
      const index = y * side + x;
      if (stamp[index] === chainId) continue;
      const px = x + 0.5;
      let t = lengthSquared > 0 ? ((px - ax) * dx + (py - ay) * dy) / lengthSquared : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = ax + t * dx - px;
      const ey = ay + t * dy - py;
      if (ex * ex + ey * ey <= radiusSquared) {
        stamp[index] = chainId;
        intensity[index] += brightness;
      }
    }
  }
}

/** Renders one canvas of filaments (side × side pixels) into `canvas`, unnormalised. */
function renderFilaments(random: Random, canvas: Float32Array, side: number, sub: Float32Array, stamp: Int32Array, firstChainId: number): number {
  const g = FILAMENT_GEOMETRY;
  const s = g.supersampling;
  const subSide = side * s;
  sub.fill(0);
  const scale = (side * side) / (128 * 128);
  const chains = Math.max(1, Math.round(random.integer(g.chainsPer128Squared[0], g.chainsPer128Squared[1]) * scale));
  const angleSigma = Math.sqrt(g.stepPx / g.persistenceLengthPx);
  let chainId = firstChainId;
  for (let c = 0; c < chains; c++) {
    chainId += 1;
    const brightness = random.uniformIn(g.brightness[0], g.brightness[1]);
    const steps = Math.round(random.uniformIn(g.lengthPx[0], g.lengthPx[1]) / g.stepPx);
    let x = random.uniformIn(-0.1 * side, 1.1 * side);
    let y = random.uniformIn(-0.1 * side, 1.1 * side);
    let angle = random.uniformIn(0, 2 * Math.PI);
    for (let t = 0; t < steps; t++) {
      angle += angleSigma * random.normal();
      const nx = x + g.stepPx * Math.cos(angle);
      const ny = y + g.stepPx * Math.sin(angle);
      drawSegment(sub, stamp, subSide, chainId, brightness, x * s, y * s, nx * s, ny * s, (g.lineWidthPx / 2) * s);
      x = nx;
      y = ny;
    }
  }
  // box-average s×s sub-pixels: the anti-aliased coverage
  const norm = 1 / (s * s);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      let sum = 0;
      for (let a = 0; a < s; a++) {
        const rowStart = (i * s + a) * subSide + j * s;
        for (let b = 0; b < s; b++) sum += sub[rowStart + b];
      }
      canvas[i * side + j] = sum * norm;
    }
  }
  return chainId;
}

/** Per-image output of the renderer: the ground truth (max exactly 1 inside the crop) and its linear blur. */
export interface FilamentRenderer {
  /** Draws the next image's filaments from the generator and writes GT and P ∗ GT (both size², row-major). */
  next(groundTruth: Float32Array, blurred: Float32Array): void;
}

/**
 * The noise-free half of the simulator, image after image from `random` (the caller then draws the noise from the
 * same generator, so that every preset's sequence is render, blur, noise per image).
 */
export function createFilamentRenderer(random: Random, size: number, psf: Image): FilamentRenderer {
  const margin = (psf.height - 1) / 2;
  const side = size + 2 * margin;
  // fixed path (not the cost model's choice) so that the bytes never depend on a tuning constant
  const blur = createConvolver(side, side, psf, 'valid', 'separable');
  const canvas = new Float32Array(side * side);
  const sub = new Float32Array(side * side * FILAMENT_GEOMETRY.supersampling ** 2);
  const stamp = new Int32Array(sub.length);
  let chainId = 0;
  return {
    next(groundTruth, blurred) {
      let peak = 0;
      while (peak === 0) {
        chainId = renderFilaments(random, canvas, side, sub, stamp, chainId);
        for (let i = 0; i < size; i++) {
          for (let j = 0; j < size; j++) peak = Math.max(peak, canvas[(i + margin) * side + j + margin]);
        }
      }
      for (let i = 0; i < canvas.length; i++) canvas[i] /= peak; // GT max exactly 1 inside the crop
      for (let i = 0; i < size; i++) groundTruth.set(canvas.subarray((i + margin) * side + margin, (i + margin) * side + margin + size), i * size);
      blur.apply(canvas, blurred);
    },
  };
}

/** Count and size in the simulator's domain (typed errors otherwise). */
export function checkSimulationSize(count: number, size: number): void {
  if (!Number.isInteger(count) || count < 1) throw new ParameterError('SIMULATION_COUNT', `count must be an integer ≥ 1, got ${count}`);
  if (!Number.isInteger(size) || size < 16) throw new ParameterError('SIMULATION_SIZE', `size must be an integer ≥ 16 (pixels), got ${size}`);
}

export function simulate(options: SimulationOptions): Simulation {
  const { preset, count, size = DEFAULT_SIMULATION_SIZE, seed } = options;
  const settings = SIMULATION_PRESETS[preset];
  if (!settings) throw new ParameterError('SIMULATION_PRESET', `preset must be 'dataset1' or 'dataset2', got ${String(preset)}`);
  checkSimulationSize(count, size);
  const noiseSigma = options.noiseSigma ?? settings.noiseSigma;
  if (!Number.isFinite(noiseSigma) || noiseSigma <= 0) {
    throw new ParameterError('NOISE_SIGMA', `noiseSigma must be a finite number > 0 (in GT units, GT max = 1), got ${noiseSigma}`);
  }
  const random = new Random(seed);
  const psf = gaussianPsf({ fwhmPx: settings.fwhmPx });
  const renderer = createFilamentRenderer(random, size, psf);
  const pixels = size * size;
  const groundTruth = new Float32Array(count * pixels);
  const noisy = new Float32Array(count * pixels);
  for (let image = 0; image < count; image++) {
    const noisyImage = noisy.subarray(image * pixels, (image + 1) * pixels);
    renderer.next(groundTruth.subarray(image * pixels, (image + 1) * pixels), noisyImage);
    for (let i = 0; i < pixels; i++) noisyImage[i] += noiseSigma * random.normal();
  }
  return {
    noisy: { data: noisy, count, height: size, width: size },
    groundTruth: { data: groundTruth, count, height: size, width: size },
    psf,
    noiseSigma,
    fwhmPx: settings.fwhmPx,
    pixelSizeNm: settings.pixelSizeNm,
  };
}
