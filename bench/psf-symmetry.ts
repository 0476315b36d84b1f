/**
 * What augmenting with transforms the PSF does not share costs (libs/divblurring/src/symmetry.ts). The simulator's
 * filaments (dataset1's σ = 0.03) blurred by a comatic PSF: 0.7 of a Gaussian of FWHM 3.8 px and 0.3 of a wider one
 * 2.5 px lower, symmetric under the column mirror only. DivBlurring with positivity (λ = 1/(2σ²)) trained twice with
 * the same seed and steps: augmenting with all 8 turns and mirrors (what every model did before), and with the PSF's
 * symmetries (the default now); `--models` adds `identity` (no augmentation: what a PSF with no symmetry at all
 * gets). Each evaluated as the MMSE of N samples without test-time averaging, with averaging
 * over the PSF's symmetries, and (the all-8 model) with averaging over all 8; RL and Wiener oracles beside.
 *
 *   node --import tsx bench/psf-symmetry.ts [--steps 1000] [--train-count 400] [--test-count 10] [--samples 100]
 *        [--models psf_symmetries,all_8] [--psf comatic|gaussian] [--out bench/results/psf-symmetry.json]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { disposeModel, initBackend, psfSymmetries, trainModel, ALL_TRANSFORMS, type TrainedModel } from '@divblur/divblurring';
import { DEFAULT_SAMPLES } from '@divblur/divblurring/mmse-core';
import { deconvolveMmse } from '@divblur/divblurring/mmse-parity';
import { classicalBaselines, createConvolver, Random, simulate, ssim, stackImage, type Image, type Stack } from '@divblur/imaging';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    'train-count': { type: 'string', default: '400' },
    'test-count': { type: 'string', default: '10' },
    samples: { type: 'string', default: String(DEFAULT_SAMPLES) },
    models: { type: 'string', default: 'psf_symmetries,all_8' },
    /** comatic (the default), or gaussian: the core alone, all 8 symmetries (what augmentation buys a symmetric PSF). */
    psf: { type: 'string', default: 'comatic' },
    out: { type: 'string', default: 'bench/results/psf-symmetry.json' },
  },
});
const steps = Number(args.steps);
const samples = Number(args.samples);
const noiseSigma = 0.03;
const size = 128;

/** exp(−r²/2σ²), σ per axis, centre moved down by rowShift px, on a side² grid. */
function gaussian(side: number, sigmaRow: number, sigmaColumn: number, rowShift: number): Float64Array {
  const radius = (side - 1) / 2;
  const data = new Float64Array(side * side);
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) data[i * side + j] = Math.exp(-(((i - radius - rowShift) / sigmaRow) ** 2 + ((j - radius) / sigmaColumn) ** 2) / 2);
  }
  const sum = data.reduce((a, b) => a + b, 0);
  return data.map((v) => v / sum);
}
const side = 15;
const core = gaussian(side, 1.614, 1.614, 0);
const tail = gaussian(side, 2.5, 1.614, 2.5);
if (args.psf !== 'comatic' && args.psf !== 'gaussian') throw new Error(`--psf is comatic or gaussian, got ${args.psf}`);
const psf: Image = { data: Float32Array.from(core, (v, i) => (args.psf === 'gaussian' ? v : 0.7 * v + 0.3 * tail[i])), height: side, width: side };

/** Filaments rendered with a margin, blurred by `psf` ('valid'), cropped ground truth, Gaussian noise σ. */
function dataset(count: number, seed: number): { noisy: Stack; groundTruth: Stack } {
  const margin = (side - 1) / 2;
  const canvas = simulate({ preset: 'dataset1', count, size: size + 2 * margin, seed }).groundTruth;
  const blur = createConvolver(size + 2 * margin, size + 2 * margin, psf, 'valid', 'direct');
  const pixels = size * size;
  const noisy = new Float32Array(count * pixels);
  const groundTruth = new Float32Array(count * pixels);
  const random = new Random(seed + 1000);
  for (let n = 0; n < count; n++) {
    const image = canvas.data.subarray(n * (size + 2 * margin) ** 2, (n + 1) * (size + 2 * margin) ** 2);
    const out = noisy.subarray(n * pixels, (n + 1) * pixels);
    blur.apply(image, out);
    for (let i = 0; i < pixels; i++) out[i] += noiseSigma * random.normal();
    for (let i = 0; i < size; i++) {
      groundTruth.set(image.subarray((i + margin) * (size + 2 * margin) + margin, (i + margin) * (size + 2 * margin) + margin + size), n * pixels + i * size);
    }
  }
  return { noisy: { data: noisy, count, height: size, width: size }, groundTruth: { data: groundTruth, count, height: size, width: size } };
}

const backend = await initBackend('auto', (message, fields) => console.error(message, JSON.stringify(fields)));
const train = dataset(Number(args['train-count']), 11);
const test = dataset(Number(args['test-count']), 12);
const symmetries = psfSymmetries(psf);
console.error(`PSF symmetries: [${symmetries}]`);
const rows: Array<Record<string, unknown>> = [];
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
for (const c of classicalBaselines(test.noisy, test.groundTruth, psf, { noiseSigma, maxIterations: 200 })) {
  rows.push({ method: c.method, augmentations: null, test_time: null, psnr_mmse: c.psnr, ssim: c.ssim });
}

async function evaluate(model: TrainedModel, augmentations: string, testTime: string, dihedral: boolean | readonly number[]): Promise<void> {
  const out = await deconvolveMmse(model, test.noisy, { samples, seed: 0, groundTruth: test.groundTruth, dihedral });
  const ssims = Array.from({ length: test.noisy.count }, (_, i) => ssim(stackImage(test.groundTruth, i), stackImage(out.mmse, i)));
  rows.push({ method: 'divblurring', penalty: 'positivity', augmentations, test_time: testTime, psnr_mmse: mean(out.psnrMmse!), psnr_samples: mean(out.psnrSamples!), ssim: mean(ssims), steps });
  console.error(JSON.stringify(rows[rows.length - 1]));
}

const conditions: Record<string, readonly number[]> = { psf_symmetries: symmetries, all_8: ALL_TRANSFORMS, identity: [0] };
for (const name of args.models!.split(',')) {
  const augmentations = conditions[name];
  if (!augmentations) throw new Error(`unknown model ${name}; known: ${Object.keys(conditions).join(', ')}`);
  const started = performance.now();
  const result = await trainModel({
    images: train.noisy, psf, noiseSigma, penalty: 'positivity', lambda: 1 / (2 * noiseSigma ** 2), steps, seed: 0, augmentations,
  }, { onProgress: (p) => { if (p.step % 100 === 0) console.error(`${name} step ${p.step}/${p.totalSteps} data ${p.loss.data.toFixed(3)} kl ${p.loss.kl.toFixed(4)}`); } });
  console.error(`${name}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await evaluate(result.model, name, 'none', false);
  // the MMSE paths' default (dihedral: true): the PSF's symmetries within the training augmentations
  if (name !== 'identity') await evaluate(result.model, name, 'psf_symmetries', true);
  if (name === 'all_8') await evaluate(result.model, name, 'all_8', ALL_TRANSFORMS); // what dihedral: true did before
  disposeModel(result.model);
}

const command = `node --import tsx bench/psf-symmetry.ts ${process.argv.slice(2).join(' ')}`.trim();
await mkdir(dirname(args.out!), { recursive: true });
await writeFile(args.out!, JSON.stringify({ command, backend: backend.engine, psf: args.psf, psfSymmetries: symmetries, samples, rows }, null, 1) + '\n');
console.log(JSON.stringify(rows, null, 1));
