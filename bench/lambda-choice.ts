/**
 * How good is the compare report's GT-free choice of λ (issue 19)? On the simulator's dataset1 and dataset2 presets
 * (as bench/quality.ts makes them: training images seed 1, held-out test images seed 2), a sweep of λ per penalty is
 * trained with the library's trainModel; each model's held-out MMSE is scored as the service's evaluation scores it
 * (the served test-time averaging; PSNR against GT; the data-fit discrepancy ‖A x̂ − y‖²/(Nσ²) of libs/imaging's
 * dataFitDiscrepancy, averaged over the test images); then the run the data alone recommends is chosen by THE SAME
 * function the compare endpoint calls (libs/imaging chooseByDiscrepancy: Morozov's discrepancy principle) and set
 * against the GT-best run of the sweep. Goal: within 0.3 dB.
 *
 *   node --import tsx bench/lambda-choice.ts [--steps 400] [--presets dataset1,dataset2] [--penalties positivity]
 *        [--lambda-factors 0.01,0.1,1,10,100 | --lambdas 1,10,100] [--train-count 1000] [--test-count 20] [--size 128]
 *        [--samples 100] [--seed 0] [--backend auto] [--out bench/results/lambda-choice.json]
 *
 * λ values: --lambdas as given, else --lambda-factors × 1/(2σ²) (σ the preset's noise: the positivity penalty's
 * natural scale, a negative excursion weighed like a data misfit). Rows are written after each preset (complete: false
 * until the end); a .md beside the .json has the command and each sweep's figures.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { disposeModel, initBackend, trainModel, type PenaltyName } from '@divblur/divblurring';
import { DEFAULT_SAMPLES, SERVED_DIHEDRAL } from '@divblur/divblurring/mmse-core';
import { deconvolveMmse } from '@divblur/divblurring/mmse-parity';
import { chooseByDiscrepancy, dataFitDiscrepancy, simulate, stackImage, type SimulationPreset } from '@divblur/imaging';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '400' },
    presets: { type: 'string', default: 'dataset1,dataset2' },
    penalties: { type: 'string', default: 'positivity' },
    'lambda-factors': { type: 'string', default: '0.01,0.1,1,10,100' },
    lambdas: { type: 'string' },
    'train-count': { type: 'string', default: '1000' },
    'test-count': { type: 'string', default: '20' },
    size: { type: 'string', default: '128' },
    samples: { type: 'string', default: String(DEFAULT_SAMPLES) },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'auto' },
    out: { type: 'string', default: 'bench/results/lambda-choice.json' },
  },
});
const steps = Number(args.steps);
const samples = Number(args.samples);
const numbers = (text: string) => text.split(',').map((v) => {
  const n = Number(v);
  if (!(n >= 0 && Number.isFinite(n))) throw new Error(`not a λ or factor ≥ 0: ${v}`);
  return n;
});
const GOAL_DB = 0.3;

interface SweepPoint { lambda: number; discrepancy: number; psnr_mmse: number; psnr_samples: number; train_seconds: number }
interface Row {
  preset: string; penalty: string; recommended_lambda: number | null; recommended_psnr: number | null;
  gt_best_lambda: number; gt_best_psnr: number; steps: number;
  /** recommended − GT-best, dB (≤ 0). */
  gap_db: number | null; within_goal: boolean; recommended_discrepancy: number | null;
  /** Whether the sweep's discrepancies lie on both sides of 1. */
  bracketed: boolean; sweep: SweepPoint[];
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const command = `node --import tsx bench/lambda-choice.ts ${process.argv.slice(2).join(' ')}`.trim();
const backend = await initBackend(args.backend as 'auto', (message, fields) => console.error(message, JSON.stringify(fields)));
const rows: Row[] = [];

async function save(complete: boolean): Promise<void> {
  await mkdir(dirname(args.out!), { recursive: true });
  await writeFile(args.out!, JSON.stringify(rows.map((r) => ({ ...r, backend: backend.engine, command, complete })), null, 1) + '\n');
}

for (const preset of args.presets!.split(',') as SimulationPreset[]) {
  const size = Number(args.size);
  const train = simulate({ preset, count: Number(args['train-count']), size, seed: 1 });
  const test = simulate({ preset, count: Number(args['test-count']), size, seed: 2 });
  const { psf, noiseSigma } = train;
  const lambdas = args.lambdas ? numbers(args.lambdas) : numbers(args['lambda-factors']!).map((f) => f / (2 * noiseSigma ** 2));
  for (const penalty of args.penalties!.split(',') as PenaltyName[]) {
    const sweep: SweepPoint[] = [];
    for (const lambda of lambdas) {
      const result = await trainModel({ images: train.noisy, psf, noiseSigma, penalty, lambda, steps, seed: Number(args.seed) }, {
        onProgress: (p) => {
          if (p.step % 100 === 0 || p.step === p.totalSteps) console.error(`${preset} ${penalty} λ=${lambda.toPrecision(3)} step ${p.step}/${p.totalSteps} data ${p.loss.data.toFixed(3)} kl ${p.loss.kl.toFixed(4)} eta ${p.etaSeconds.toFixed(0)} s`);
        },
      });
      const out = await deconvolveMmse(result.model, test.noisy, { samples, seed: 0, groundTruth: test.groundTruth, dihedral: SERVED_DIHEDRAL });
      disposeModel(result.model);
      // As the evaluation job: the discrepancy of each held-out image's MMSE, averaged.
      const discrepancy = mean(Array.from({ length: test.noisy.count }, (_, i) => dataFitDiscrepancy(stackImage(test.noisy, i), stackImage(out.mmse, i), psf, noiseSigma)));
      sweep.push({ lambda, discrepancy, psnr_mmse: mean(out.psnrMmse!), psnr_samples: mean(out.psnrSamples!), train_seconds: result.trainSeconds });
      console.error(`${preset} ${penalty} λ=${lambda.toPrecision(3)}: discrepancy ${discrepancy.toFixed(4)}, PSNR ${mean(out.psnrMmse!).toFixed(2)} dB`);
    }
    const choice = chooseByDiscrepancy(sweep);
    const best = sweep.reduce((a, b) => (b.psnr_mmse > a.psnr_mmse ? b : a));
    const recommended = choice.chosen;
    const gap = recommended === null ? null : recommended.psnr_mmse - best.psnr_mmse;
    rows.push({
      preset, penalty, recommended_lambda: recommended?.lambda ?? null, recommended_psnr: recommended?.psnr_mmse ?? null,
      gt_best_lambda: best.lambda, gt_best_psnr: best.psnr_mmse, steps, gap_db: gap, within_goal: gap !== null && gap >= -GOAL_DB,
      recommended_discrepancy: recommended?.discrepancy ?? null, bracketed: choice.bracketed, sweep,
    });
    await save(false);
  }
}

await save(true);
const fmt = (v: number | null, digits = 2) => (v === null ? '–' : v.toFixed(digits));
const lines = rows.flatMap((r) => [
  `## ${r.preset}, ${r.penalty}: recommended λ ${fmt(r.recommended_lambda, 4)} (${fmt(r.recommended_psnr)} dB), GT-best λ ${r.gt_best_lambda.toFixed(4)} (${r.gt_best_psnr.toFixed(2)} dB): `
    + `${fmt(r.gap_db)} dB, ${r.within_goal ? 'within' : 'outside'} ${GOAL_DB} dB${r.bracketed ? '' : '; the discrepancies do not bracket 1'}`,
  '', '| λ | discrepancy | PSNR MMSE (dB) | PSNR samples (dB) | train s |', '| --- | --- | --- | --- | --- |',
  ...r.sweep.map((p) => `| ${p.lambda.toPrecision(4)} | ${p.discrepancy.toFixed(4)} | ${p.psnr_mmse.toFixed(2)} | ${p.psnr_samples.toFixed(2)} | ${p.train_seconds.toFixed(0)} |`), '',
]);
await writeFile(args.out!.replace(/\.json$/, '.md'), [
  '# GT-free choice of λ (discrepancy principle) against the GT-best run', '',
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, backend ${backend.engine}, ${availableParallelism()} cores; ${steps} steps,`,
  `${args['train-count']} training and ${args['test-count']} held-out images of ${args.size}², ${samples}-sample MMSE with the served test-time averaging).`, '',
  ...lines,
].join('\n'));
console.log(lines.filter((l) => l.startsWith('## ')).join('\n'));
console.log(`wrote ${args.out} (${command})`);
