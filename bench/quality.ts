/**
 * Quality benchmark of the method (issue 4): on the simulator's dataset1 and dataset2 presets, train
 * DivBlurring (no penalty; positivity at λ = 1/(2σ²)) and DivNoising with the same step budget, and
 * compare test PSNR (MMSE of N samples, and mean per-sample), SSIM and steps/s with the input,
 * Richardson–Lucy (oracle best iteration; discrepancy principle) and Wiener (oracle balance).
 *
 *   node --import tsx bench/quality.ts [--steps 3000] [--variant report,margin,improved | both | all] [--presets dataset1,dataset2]
 *        [--models positivity,none,divnoising] [--train-count 1000] [--test-count 20] [--size 128] [--samples 100]
 *        [--backend auto] [--conv-precision auto|f32|bf16-backward|bf16] [--seed 0] [--save-models DIR | --load-models DIR] [--out bench/results/quality.json]
 *
 * Variants: see VARIANTS below; `both` = report,improved, `all` = every variant. --models picks dataset1's models and their
 * order (dataset2 trains DivBlurring without penalty, the issue's table); --save-models keeps every trained model under
 * DIR/<preset>-<method>-<penalty> (libs/divblurring saveModel) so that later test-time changes need no retraining, and
 * --load-models evaluates them. Writes the rows after each model (complete: false until the end), then a .md beside the
 * .json with the command and the table.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { disposeModel, initBackend, type ConvPrecision, loadModel, saveModel, trainModel, type PenaltyName, type TrainedModel, type TrainOptions } from '@divblur/divblurring';
import { DEFAULT_SAMPLES } from '@divblur/divblurring/mmse-core';
import { deconvolveMmse } from '@divblur/divblurring/mmse-parity';
import {
  classicalBaselines, estimateNoiseModel, estimateStackNoiseSigma, simulate, simulateCamera, ssim, stackImage, type NoiseModel, type SimulationPreset, type Stack,
} from '@divblur/imaging';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '3000' },
    variant: { type: 'string', default: 'both' },
    presets: { type: 'string', default: 'dataset1,dataset2' },
    'train-count': { type: 'string', default: '1000' },
    'test-count': { type: 'string', default: '20' },
    size: { type: 'string', default: '128' },
    samples: { type: 'string', default: String(DEFAULT_SAMPLES) },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '0' },
    'conv-precision': { type: 'string', default: 'auto' },
    models: { type: 'string', default: 'none,positivity,divnoising' },
    'save-models': { type: 'string' },
    /** Evaluates the models a --save-models run kept instead of training (test-time variants only). */
    'load-models': { type: 'string' },
    out: { type: 'string', default: 'bench/results/quality.json' },
    /** Camera preset: photons at the brightest pixel of the object (the preset's 100 by default). */
    'peak-photons': { type: 'string' },
    /** Camera preset: none, or positivity on x − o at λ = 1/(2 v₀), v₀ the model's variance of an unlit pixel (σ̂² or σ_r²). */
    'camera-penalty': { type: 'string', default: 'none' },
  },
});
const steps = Number(args.steps);
const samples = Number(args.samples);
/** The recipes compared: the report's, and ours (changes measured one by one with bench/quality-ablation.ts). */
/** margin: px of reflected context at test time, or 'psf' for the MMSE paths' default (the PSF's radius). */
const VARIANTS: Record<string, { description: string; options: Partial<TrainOptions>; dihedral: boolean; margin: number | 'psf' }> = {
  report: { description: 'the report\'s recipe (linear output, Adam 1e-3 with reduce-on-plateau, no test-time averaging, no context margin)', options: {}, dihedral: false, margin: 0 },
  margin: { description: 'the report\'s recipe with a PSF radius of reflected context at test time only', options: {}, dihedral: false, margin: 'psf' },
  improved: {
    description: 'the report\'s recipe with a PSF radius of reflected context at test time (the MMSE paths\' default) and 8-fold dihedral test-time averaging of the MMSE (samples split over the 8 symmetries)',
    options: {},
    dihedral: true,
    margin: 'psf',
  },
  margin16: { description: 'the report\'s recipe with 16 px of reflected context at test time and dihedral averaging', options: {}, dihedral: true, margin: 16 },
};
const variants = args.variant === 'all' ? Object.keys(VARIANTS) : args.variant === 'both' ? ['report', 'improved'] : args.variant!.split(',');
for (const v of variants) if (!VARIANTS[v]) throw new Error(`unknown variant ${v}; known: ${Object.keys(VARIANTS).join(', ')}`);

interface Row {
  preset: string;
  method: 'divblurring' | 'divnoising' | 'rl_oracle' | 'rl_discrepancy' | 'wiener_oracle' | 'wiener_discrepancy' | 'input';
  penalty: PenaltyName | null;
  /** The likelihood's noise model of a DivBlurring/DivNoising row (gaussian on the report's presets). */
  noise_model: NoiseModel['kind'] | null;
  variant: string | null;
  psnr_mmse: number;
  psnr_samples: number;
  ssim: number;
  steps: number | null;
  train_seconds: number | null;
  steps_per_second: number | null;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** A model saved by --save-models, with the steps and training time it recorded. */
async function loadTrained(dir: string): Promise<{ model: TrainedModel; steps: number; trainSeconds: number }> {
  const model = await loadModel(dir);
  return { model, steps: Number(model.training.steps), trainSeconds: Number(model.training.trainSeconds) };
}

const command = `node --import tsx bench/quality.ts ${process.argv.slice(2).join(' ')}`.trim();
/** Written after every row, so a long run that is stopped still leaves what it measured (complete: false). */
async function saveRows(complete: boolean): Promise<void> {
  await mkdir(dirname(args.out!), { recursive: true });
  await writeFile(args.out!, JSON.stringify(rows.map((r) => ({ ...r, backend: backend.engine, conv_precision: backend.convPrecision, command, complete })), null, 1) + '\n');
}

const backend = await initBackend(args.backend as 'auto', (message, fields) => console.error(message, JSON.stringify(fields)),
  { convPrecision: args['conv-precision'] as ConvPrecision | 'auto' });
const rows: Row[] = [];
const notes: string[] = [];
const progressLog = (label: string) => (p: { step: number; totalSteps: number; loss: { data: number; kl: number; beta: number }; samplesPerSecond: number; etaSeconds: number }) => {
  if (p.step % 50 === 0 || p.step === p.totalSteps) {
    console.error(`${label} step ${p.step}/${p.totalSteps} data ${p.loss.data.toFixed(3)} kl ${p.loss.kl.toFixed(4)} β ${p.loss.beta.toFixed(2)} ${p.samplesPerSecond.toFixed(1)} samples/s eta ${p.etaSeconds.toFixed(0)} s`);
  }
};

/**
 * The camera rows. Scores are of the signal above the true offset o: the MMSE keeps the data's units, so it is scored
 * against GT + o, and each PSNR is moved back to GT's own peak, −20 log10((max GT + o)/max GT) per image (exact: an
 * MSE does not see a common shift).
 */
async function cameraRows(): Promise<void> {
  const preset = 'camera';
  const size = Number(args.size);
  const photons = args['peak-photons'] === undefined ? {} : { peakPhotons: Number(args['peak-photons']) };
  const train = simulateCamera({ count: Number(args['train-count']), size, seed: 1, ...photons });
  const test = simulateCamera({ count: Number(args['test-count']), size, seed: 2, ...photons });
  const { psf, noiseModel: truth } = train;
  const offset = truth.offset;
  for (const c of classicalBaselines(test.noisy, test.groundTruth, psf, { noiseModel: truth, maxIterations: 200 })) {
    rows.push({ preset, method: c.method, penalty: null, noise_model: null, variant: null, psnr_mmse: c.psnr, psnr_samples: c.psnr, ssim: c.ssim, steps: null, train_seconds: null, steps_per_second: null });
  }
  await saveRows(false);
  const estimated = estimateNoiseModel(train.noisy).model;
  const pct = (a: number, b: number) => `${((a / b - 1) * 100).toFixed(1)} %`;
  if (estimated.kind === 'poisson_gaussian') {
    notes.push(`camera noise model estimated from the ${train.noisy.count} training images: gain ${estimated.gain.toFixed(3)} ADU/e⁻ (true ${truth.gain}, ${pct(estimated.gain, truth.gain)}), `
      + `read noise ${estimated.readNoise.toFixed(3)} ADU (true ${truth.readNoise}, ${pct(estimated.readNoise, truth.readNoise)}), offset ${estimated.offset.toFixed(2)} ADU (true ${truth.offset}, ${pct(estimated.offset, truth.offset)}); `
      + `${train.peakPhotons} photons at the brightest pixel, ${train.backgroundPhotons} background photons.`);
  }
  const truthAdu: Stack = { ...test.groundTruth, data: test.groundTruth.data.map((v) => v + offset) };
  const peakShift = Array.from({ length: test.groundTruth.count }, (_, i) => {
    const peak = stackImage(test.groundTruth, i).data.reduce((a, b) => Math.max(a, b), -Infinity);
    return 20 * Math.log10((peak + offset) / peak);
  });
  // positivity on x − o weighs a negative excursion like a data misfit of an unlit pixel: λ = 1/(2 v₀)
  const penalty = args['camera-penalty'] as PenaltyName;
  if (penalty !== 'none' && penalty !== 'positivity') throw new Error(`--camera-penalty must be none or positivity, got ${penalty}`);
  const gaussianSigma = estimateStackNoiseSigma(train.noisy);
  const lambdaFor = (unlitVariance: number) => (penalty === 'positivity' ? 1 / (2 * unlitVariance) : 0);
  const models: Array<{ kind: NoiseModel['kind']; options: Partial<TrainOptions> }> = [
    { kind: 'gaussian', options: { noiseSigma: gaussianSigma, penalty, lambda: lambdaFor(gaussianSigma ** 2), ...(penalty === 'none' ? {} : { noiseModel: { kind: 'gaussian', sigma: gaussianSigma, offset: estimated.offset } }) } },
    { kind: 'poisson_gaussian', options: { noiseModel: estimated, penalty, lambda: lambdaFor(estimated.kind === 'poisson_gaussian' ? estimated.readNoise ** 2 : gaussianSigma ** 2) } },
  ];
  for (const m of models) {
    let trained = null as { key: string; result: Pick<Awaited<ReturnType<typeof trainModel>>, 'model' | 'steps' | 'trainSeconds'> } | null;
    for (const variant of variants) {
      const recipe = VARIANTS[variant];
      const key = JSON.stringify(recipe.options);
      if (trained?.key !== key) {
        if (trained) disposeModel(trained.result.model);
        const options: TrainOptions = { images: train.noisy, psf, steps, seed: Number(args.seed), ...m.options, ...recipe.options };
        const modelDir = (root: string): string => join(root, `${preset}-divblurring-${m.kind}-${penalty}${key === '{}' ? '' : `-${variant}`}`);
        const result = args['load-models'] ? await loadTrained(modelDir(args['load-models'])) : await trainModel(options, { onProgress: progressLog(`camera divblurring/${m.kind}/${variant}`) });
        trained = { key, result };
        if (args['save-models']) await saveModel(modelDir(args['save-models']), result.model);
        if (m.kind === 'gaussian') notes.push(`camera Gaussian model: σ estimated ${result.model.noiseSigma.toFixed(3)} ADU (one σ for every pixel).`);
      }
      const { result } = trained;
      const out = await deconvolveMmse(result.model, test.noisy, { samples, seed: 0, groundTruth: truthAdu, dihedral: recipe.dihedral, ...(recipe.margin === 'psf' ? {} : { contextMargin: recipe.margin }) });
      const ssims = Array.from({ length: test.noisy.count }, (_, i) => {
        const estimate = stackImage(out.mmse, i);
        return ssim(stackImage(test.groundTruth, i), { ...estimate, data: estimate.data.map((v) => v - offset) });
      });
      rows.push({
        preset, method: 'divblurring', penalty, noise_model: m.kind, variant,
        psnr_mmse: mean(out.psnrMmse!.map((v, i) => v - peakShift[i])), psnr_samples: mean(out.psnrSamples!.map((v, i) => v - peakShift[i])), ssim: mean(ssims),
        steps: result.steps, train_seconds: result.trainSeconds, steps_per_second: result.steps / result.trainSeconds,
      });
      await saveRows(false);
    }
    if (trained) disposeModel(trained.result.model);
  }
}

for (const preset of args.presets!.split(',') as Array<SimulationPreset | 'camera'>) {
  if (preset === 'camera') {
    await cameraRows();
    continue;
  }
  const size = Number(args.size);
  const train = simulate({ preset, count: Number(args['train-count']), size, seed: 1 });
  const test = simulate({ preset, count: Number(args['test-count']), size, seed: 2 });
  const { psf, noiseSigma } = train;
  const truthImages = Array.from({ length: test.noisy.count }, (_, i) => stackImage(test.groundTruth, i));
  // Classical rows: PSNR of a deterministic estimate, so psnr_mmse = psnr_samples.
  for (const c of classicalBaselines(test.noisy, test.groundTruth, psf, { noiseSigma, maxIterations: 200 })) {
    rows.push({ preset, method: c.method, penalty: null, noise_model: null, variant: null, psnr_mmse: c.psnr, psnr_samples: c.psnr, ssim: c.ssim, steps: null, train_seconds: null, steps_per_second: null });
  }
  await saveRows(false);

  type ModelSpec = { method: 'divblurring' | 'divnoising'; penalty: PenaltyName; lambda: number; kappa?: number };
  const dataset1Models: Record<string, ModelSpec> = {
    none: { method: 'divblurring', penalty: 'none', lambda: 0 },
    positivity: { method: 'divblurring', penalty: 'positivity', lambda: 1 / (2 * noiseSigma ** 2) },
    divnoising: { method: 'divnoising', penalty: 'none', lambda: 0 },
    // Not in the table; selectable with --models: κ Σ min(x,0)² + λ Σ|x| with κ = 1/(2σ²), λ = 3 (the demo's best l1).
    positivity_l1: { method: 'divblurring', penalty: 'positivity_l1', lambda: 3, kappa: 1 / (2 * noiseSigma ** 2) },
  };
  const models: ModelSpec[] = preset === 'dataset1'
    ? args.models!.split(',').map((name) => dataset1Models[name] ?? (() => { throw new Error(`unknown model ${name}; known: ${Object.keys(dataset1Models).join(', ')}`); })())
    : [dataset1Models.none];
  for (const m of models) {
    // Variants that differ only at test time (e.g. dihedral averaging) share one trained model.
    let trained = null as { key: string; result: Pick<Awaited<ReturnType<typeof trainModel>>, 'model' | 'steps' | 'trainSeconds'> } | null;
    for (const variant of variants) {
      const recipe = VARIANTS[variant];
      const key = JSON.stringify(recipe.options);
      if (trained?.key !== key) {
        if (trained) disposeModel(trained.result.model);
        const options: TrainOptions = {
          images: train.noisy, psf: m.method === 'divblurring' ? psf : null, noiseSigma,
          penalty: m.penalty, lambda: m.lambda, kappa: m.kappa, steps, seed: Number(args.seed), ...recipe.options,
        };
        const modelDir = (root: string): string => join(root, `${preset}-${m.method}-${m.penalty}${key === '{}' ? '' : `-${variant}`}`);
        const result = args['load-models'] ? await loadTrained(modelDir(args['load-models'])) : await trainModel(options, {
          onProgress: (p) => {
            if (p.step % 50 === 0 || p.step === p.totalSteps) {
              console.error(`${preset} ${m.method}/${m.penalty}/${variant} step ${p.step}/${p.totalSteps} data ${p.loss.data.toFixed(3)} kl ${p.loss.kl.toFixed(4)} β ${p.loss.beta.toFixed(2)} ${p.samplesPerSecond.toFixed(1)} samples/s eta ${p.etaSeconds.toFixed(0)} s`);
            }
          },
        });
        trained = { key, result };
        if (args['save-models']) await saveModel(modelDir(args['save-models']), result.model);
      }
      const { result } = trained;
      const out = await deconvolveMmse(result.model, test.noisy, { samples, seed: 0, groundTruth: test.groundTruth, dihedral: recipe.dihedral, ...(recipe.margin === 'psf' ? {} : { contextMargin: recipe.margin }) });
      const ssims = Array.from({ length: test.noisy.count }, (_, i) => ssim(truthImages[i], stackImage(out.mmse, i)));
      rows.push({
        preset, method: m.method, penalty: m.penalty, noise_model: 'gaussian', variant,
        psnr_mmse: mean(out.psnrMmse!), psnr_samples: mean(out.psnrSamples!), ssim: mean(ssims),
        steps: result.steps, train_seconds: result.trainSeconds, steps_per_second: result.steps / result.trainSeconds,
      });
      await saveRows(false);
    }
    if (trained) disposeModel(trained.result.model);
  }
}

const table = [
  'preset    method              penalty     noise             variant   psnr_mmse  psnr_samples  ssim   steps  steps/s',
  ...rows.map((r) => `${r.preset.padEnd(9)} ${r.method.padEnd(19)} ${(r.penalty ?? '-').padEnd(11)} ${(r.noise_model ?? '-').padEnd(17)} ${(r.variant ?? '-').padEnd(9)} ${r.psnr_mmse.toFixed(2).padStart(9)}  ${r.psnr_samples.toFixed(2).padStart(12)}  ${r.ssim.toFixed(3)}  ${String(r.steps ?? '-').padStart(5)}  ${r.steps_per_second?.toFixed(2) ?? '-'}`),
];
console.log(`backend ${backend.engine} (convolutions ${backend.convPrecision}); steps ${steps}; samples ${samples}`);
console.log(table.join('\n'));
for (const note of notes) console.log(note);
await saveRows(true);
await writeFile(args.out!.replace(/\.json$/, '.md'), [
  '# Quality benchmark', '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, backend ${backend.engine}, ${availableParallelism()} cores).`,
  `${args['train-count']} training and ${args['test-count']} held-out test images of ${args.size}² per preset; PSNR of the ${samples}-sample MMSE`,
  '(psnr_mmse) and mean PSNR of the samples (psnr_samples); RL oracle = best iteration on GT (best of shift/clip per image),',
  'Wiener oracle = best balance on GT per image. Variants: ' + Object.entries(VARIANTS).map(([name, v]) => `${name} = ${v.description}`).join('; ') + '.',
  '', '```', ...table, '```', '', ...notes, ...(notes.length > 0 ? [''] : []),
].join('\n'));
console.log(`wrote ${args.out} (${command})`);
