/**
 * Ablation of the method's recipe (issue 4): what each change beyond the report buys, in dB, on one
 * preset with the same step budget. Each config trains one DivBlurring model (seed 0) and is scored on
 * held-out images with ground truth: PSNR of the MMSE, with and without test-time dihedral averaging,
 * and where the error lies (on the filaments, GT > 0.1, or on the background), so that a gain or a
 * loss can be explained and not only measured.
 *
 *   node --import tsx bench/quality-ablation.ts --preset dataset1 --steps 400 --configs report,softplus,...
 *        [--train-count 1000] [--test-count 10] [--samples 32] [--out bench/results/quality-ablation.json]
 *
 * Rows are appended to the output file after each config (so runs can be split and stopped).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { dirname, join } from 'node:path';
import { disposeModel, initBackend, saveModel, trainModel, type TrainOptions } from '@divblur/divblurring';
import { deconvolveMmse } from '@divblur/divblurring/mmse-parity';
import { simulate, type SimulationPreset, type Stack } from '@divblur/imaging';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'dataset1' },
    steps: { type: 'string', default: '400' },
    configs: { type: 'string', default: 'report,softplus' },
    'train-count': { type: 'string', default: '1000' },
    'test-count': { type: 'string', default: '10' },
    samples: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string', default: 'bench/results/quality-ablation.json' },
    /** Keeps each trained model under <dir>/<config> (libs/divblurring saveModel) for later evaluation. */
    'save-models': { type: 'string' },
  },
});

type Overrides = Omit<Partial<TrainOptions>, 'images' | 'psf' | 'noiseSigma'>;
/** Named recipes; `s2` = 1/(2σ²), the data term's weight, so that λ reads in units of it. */
const CONFIGS: Record<string, (s2: number) => Overrides> = {
  report: () => ({}),
  cosine: () => ({ lrSchedule: 'cosine' }),
  softplus: () => ({ model: { output: 'softplus' }, lrSchedule: 'cosine' }),
  positivity: (s2) => ({ penalty: 'positivity', lambda: s2 }),
  pos100: (s2) => ({ penalty: 'positivity', lambda: 100 * s2 }),
  'softplus-plateau': () => ({ model: { output: 'softplus' } }),
  'l1-3': () => ({ penalty: 'l1', lambda: 3 }),
  'l1-10': () => ({ penalty: 'l1', lambda: 10 }),
  'l1-30': () => ({ penalty: 'l1', lambda: 30 }),
  'l1-100': () => ({ penalty: 'l1', lambda: 100 }),
  'posl1-3': (s2) => ({ penalty: 'positivity_l1', lambda: 3, kappa: s2 }),
  'posl1-10': (s2) => ({ penalty: 'positivity_l1', lambda: 10, kappa: s2 }),
  'posl1-30': (s2) => ({ penalty: 'positivity_l1', lambda: 30, kappa: s2 }),
  'posl1-100': (s2) => ({ penalty: 'positivity_l1', lambda: 100, kappa: s2 }),
  'softplus-l1-30': () => ({ model: { output: 'softplus' }, lrSchedule: 'cosine', penalty: 'l1', lambda: 30 }),
  'lr3e-3': () => ({ learningRate: 3e-3, lrSchedule: 'cosine' }),
  'lr2e-3': () => ({ learningRate: 2e-3 }),
  'softplus-lr2e-3': () => ({ model: { output: 'softplus' }, learningRate: 2e-3 }),
  wide: () => ({ model: { filters: [48, 96] }, lrSchedule: 'cosine' }),
  'patch96': () => ({ patchSize: 96, batchSize: 14 }),
};

interface Row {
  preset: string; config: string; steps: number; train_seconds: number;
  psnr_mmse: number; psnr_mmse_dihedral: number; psnr_samples: number;
  rmse_filament: number; rmse_background: number; mean_bias: number;
  /** RMSE within a PSF radius of the image's edge (where training's 'valid' data term barely constrains g(z)) and inside it. */
  rmse_edge: number; rmse_inner: number;
  /** PSNR of the MMSE with a PSF radius of reflected context around each image (MmseOptions.contextMargin). */
  psnr_mmse_margin: number;
  command: string;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** RMSE on filament pixels (GT > 0.1), on background, and the mean signed error (estimate − GT). */
function errorSplit(truth: Stack, estimate: Stack): { filament: number; background: number; bias: number } {
  let fSum = 0, fN = 0, bSum = 0, bN = 0, bias = 0;
  for (let i = 0; i < truth.data.length; i++) {
    const e = estimate.data[i] - truth.data[i];
    bias += e;
    if (truth.data[i] > 0.1) { fSum += e * e; fN++; } else { bSum += e * e; bN++; }
  }
  return { filament: Math.sqrt(fSum / fN), background: Math.sqrt(bSum / bN), bias: bias / truth.data.length };
}

/** RMSE on the pixels within `radius` of the image's edge, and on the others. */
function edgeSplit(truth: Stack, estimate: Stack, radius: number): { edge: number; inner: number } {
  let eSum = 0, eN = 0, iSum = 0, iN = 0;
  const { height, width } = truth;
  for (let i = 0; i < truth.data.length; i++) {
    const row = Math.floor(i / width) % height;
    const col = i % width;
    const e = estimate.data[i] - truth.data[i];
    if (row < radius || col < radius || row >= height - radius || col >= width - radius) { eSum += e * e; eN++; } else { iSum += e * e; iN++; }
  }
  return { edge: Math.sqrt(eSum / eN), inner: Math.sqrt(iSum / iN) };
}

const command = `node --import tsx bench/quality-ablation.ts ${process.argv.slice(2).join(' ')}`.trim();
const preset = args.preset as SimulationPreset;
const steps = Number(args.steps);
const samples = Number(args.samples);
await initBackend(args.backend as 'auto', (message, fields) => console.error(message, JSON.stringify(fields)));
const train = simulate({ preset, count: Number(args['train-count']), size: 128, seed: 1 });
const test = simulate({ preset, count: Number(args['test-count']), size: 128, seed: 2 });
const s2 = 1 / (2 * train.noiseSigma ** 2);
const rows: Row[] = existsSync(args.out!) ? JSON.parse(await readFile(args.out!, 'utf8')) : [];

for (const name of args.configs!.split(',')) {
  const make = CONFIGS[name];
  if (!make) throw new Error(`unknown config ${name}; known: ${Object.keys(CONFIGS).join(', ')}`);
  const options: TrainOptions = { images: train.noisy, psf: train.psf, noiseSigma: train.noiseSigma, steps, seed: 0, ...make(s2) };
  const result = await trainModel(options, {
    onProgress: (p) => {
      if (p.step % 100 === 0) console.error(`${name} step ${p.step}/${p.totalSteps} data ${p.loss.data.toFixed(3)} kl ${p.loss.kl.toFixed(4)} penalty ${p.loss.penalty.toFixed(4)} ${p.samplesPerSecond.toFixed(1)} samples/s`);
    },
  });
  const plain = await deconvolveMmse(result.model, test.noisy, { samples, seed: 0, groundTruth: test.groundTruth, contextMargin: 0 });
  const d4 = await deconvolveMmse(result.model, test.noisy, { samples, seed: 0, groundTruth: test.groundTruth, dihedral: true, contextMargin: 0 });
  const radius = (train.psf.height - 1) / 2;
  const margined = await deconvolveMmse(result.model, test.noisy, { samples, seed: 0, groundTruth: test.groundTruth, contextMargin: radius });
  const split = errorSplit(test.groundTruth, plain.mmse);
  const edges = edgeSplit(test.groundTruth, plain.mmse, radius);
  const row: Row = {
    preset, config: name, steps: result.steps, train_seconds: Math.round(result.trainSeconds),
    psnr_mmse: mean(plain.psnrMmse!), psnr_mmse_dihedral: mean(d4.psnrMmse!), psnr_samples: mean(plain.psnrSamples!),
    rmse_filament: split.filament, rmse_background: split.background, mean_bias: split.bias,
    rmse_edge: edges.edge, rmse_inner: edges.inner, psnr_mmse_margin: mean(margined.psnrMmse!), command,
  };
  if (args['save-models']) await saveModel(join(args['save-models'], name), result.model);
  console.log(JSON.stringify(row));
  rows.push(row);
  disposeModel(result.model);
  await mkdir(dirname(args.out!), { recursive: true });
  await writeFile(args.out!, JSON.stringify(rows, null, 1) + '\n');
}
