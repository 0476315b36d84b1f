/**
 * The batch path's default tolerance, measured (issue 16): on the quality bench's test images (bench/quality.ts:
 * simulate(preset, 20 images of 128², seed 2)), with models trained by bench/quality.ts --save-models, each image's
 * MMSE through the batch engine (libs/batch deconvolvePageTask: the served defaults, seed 0, dihedral averaging) at
 * 100 samples and with a tolerance of f·scale for each fraction f, the scale being the page's intensity range (the
 * batch path's, libs/batch intensityRange) or, with --scale sigma, the model's noise σ. The samples of a shorter run
 * are the first ones of the 100-sample run (same seed, same views), so a PSNR difference is the effect of stopping,
 * not of other draws. The default is the largest f whose mean PSNR stays within 0.05 dB of the 100-sample MMSE on
 * every preset.
 *   node --import tsx bench/tolerance.ts --models DIR [--scale range|sigma] [--fractions 0.002,…] [--test-count 20]
 *     [--size 128] [--out bench/results/tolerance.json]
 * DIR holds dataset1-divblurring-positivity and dataset2-divblurring-none (bench/quality.ts's --save-models names).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { deconvolvePageTask, intensityRange, planPageTiles } from '@divblur/batch';
import { DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TOLERANCE_RANGE, SERVED_DIHEDRAL } from '@divblur/divblurring/mmse-core';
import { psnr, simulate, stackImage, type SimulationPreset } from '@divblur/imaging';
import { exportModel, loadModelSessions, releaseModelSessions, sessionPsf } from '@divblur/onnx';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string' },
    scale: { type: 'string', default: 'range' },
    fractions: { type: 'string', default: '0.002,0.003,0.004,0.005,0.006,0.008,0.01' },
    'test-count': { type: 'string', default: '20' },
    size: { type: 'string', default: '128' },
    out: { type: 'string', default: 'bench/results/tolerance.json' },
  },
});
if (!args.models) throw new Error('--models DIR: the folder bench/quality.ts --save-models wrote');
const fractions = args.fractions!.split(',').map(Number);
if (args.scale !== 'range' && args.scale !== 'sigma') throw new Error('--scale range|sigma');
const unit = args.scale === 'range' ? 'range' : 'σ';
const command = `node --import tsx bench/tolerance.ts ${process.argv.slice(2).join(' ')}`;
const PRESETS: [SimulationPreset, string][] = [['dataset1', 'dataset1-divblurring-positivity'], ['dataset2', 'dataset2-divblurring-none']];
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

interface Row {
  preset: string; scale: string; fraction: number | null; tolerance: number | null; psnr: number; delta_psnr_db: number; worst_delta_psnr_db: number;
  samples_mean: number; samples_min: number; samples_max: number; seconds: number; speedup: number;
}
const rows: Row[] = [];
for (const [preset, modelName] of PRESETS) {
  const test = simulate({ preset, count: Number(args['test-count']), size: Number(args.size), seed: 2 });
  const dir = await mkdtemp(join(tmpdir(), 'divblur-tolerance-'));
  const sessions = await loadModelSessions(modelName, (await exportModel(join(args.models, modelName), dir)).dir);
  const noise = sessions.encoder.noiseModel;
  const psf = sessionPsf(sessions);
  const model = { config: sessions.sampler.config, psf };
  const run = async (fraction: number | null) => {
    const per = [];
    for (let i = 0; i < test.noisy.count; i++) {
      const image = stackImage(test.noisy, i);
      const [tile] = planPageTiles(image.height, image.width, model, DEFAULT_MEMORY_BUDGET_BYTES);
      const scale = args.scale === 'range' ? intensityRange(image) : (noise.kind === 'gaussian' ? noise.sigma : Number.NaN);
      const tolerance = fraction === null ? undefined : fraction * scale;
      const result = await deconvolvePageTask(sessions, image, tile, {
        samples: DEFAULT_SAMPLES, seed: DEFAULT_SEED, dihedral: SERVED_DIHEDRAL, memoryBudgetBytes: DEFAULT_MEMORY_BUDGET_BYTES, tolerance, noise, psf,
      });
      per.push({ psnr: psnr(stackImage(test.groundTruth, i), { data: result.mmse, height: image.height, width: image.width }), samples: result.samplesUsed, ms: result.durationMs, tolerance });
    }
    return per;
  };
  const full = await run(null);
  const fullSeconds = full.reduce((s, r) => s + r.ms, 0) / 1000;
  rows.push({ preset, scale: unit, fraction: null, tolerance: null, psnr: mean(full.map((r) => r.psnr)), delta_psnr_db: 0, worst_delta_psnr_db: 0,
    samples_mean: DEFAULT_SAMPLES, samples_min: DEFAULT_SAMPLES, samples_max: DEFAULT_SAMPLES, seconds: fullSeconds, speedup: 1 });
  for (const fraction of fractions) {
    const per = await run(fraction);
    const seconds = per.reduce((s, r) => s + r.ms, 0) / 1000;
    const samples = per.map((r) => r.samples);
    rows.push({
      preset, scale: unit, fraction, tolerance: mean(per.map((r) => r.tolerance!)), psnr: mean(per.map((r) => r.psnr)),
      delta_psnr_db: mean(per.map((r) => r.psnr)) - mean(full.map((r) => r.psnr)),
      worst_delta_psnr_db: Math.min(...per.map((r, i) => r.psnr - full[i].psnr)),
      samples_mean: mean(samples), samples_min: Math.min(...samples), samples_max: Math.max(...samples), seconds, speedup: fullSeconds / seconds,
    });
    console.error(`${preset} f=${fraction}: Δ ${rows.at(-1)!.delta_psnr_db.toFixed(3)} dB, ${rows.at(-1)!.samples_mean.toFixed(1)} samples`);
  }
  await releaseModelSessions(sessions);
  await rm(dir, { recursive: true, force: true });
}

const within = (fraction: number) => PRESETS.every(([preset]) => (rows.find((r) => r.preset === preset && r.fraction === fraction)?.delta_psnr_db ?? -1) >= -0.05);
const chosen = Math.max(...fractions.filter(within));
const table = [
  `preset    tol./${unit.padEnd(6)} psnr    Δpsnr   worst Δ  samples (min–max)   seconds  speed-up`,
  ...rows.map((r) => `${r.preset.padEnd(9)} ${(r.fraction === null ? '100 samp.' : String(r.fraction)).padEnd(11)}  ${r.psnr.toFixed(2)}  ${r.delta_psnr_db.toFixed(3).padStart(6)}  ${r.worst_delta_psnr_db.toFixed(3).padStart(7)}  ${r.samples_mean.toFixed(1).padStart(6)} (${r.samples_min}–${r.samples_max})`.padEnd(58) + `  ${r.seconds.toFixed(1).padStart(6)}  ${r.speedup.toFixed(2)}`),
];
console.log(table.join('\n'));
console.log(`largest tolerance within 0.05 dB on every preset: ${chosen}·${unit} (DEFAULT_TOLERANCE_RANGE is ${DEFAULT_TOLERANCE_RANGE})`);
await mkdir(dirname(args.out!), { recursive: true });
await writeFile(args.out!, JSON.stringify({ command, cores: availableParallelism(), scale: args.scale, chosen_fraction: chosen, default_tolerance_range: DEFAULT_TOLERANCE_RANGE, rows }, null, 1) + '\n');
await writeFile(args.out!.replace(/\.json$/, '.md'), [
  '# Default tolerance of the batch path', '', `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores, a shared machine).`, '',
  'Mean PSNR of the MMSE over the quality bench\'s test images; Δ against the 100-sample MMSE (same seed: the shorter run\'s samples are the',
  `first of the longer one's); worst Δ of one image; samples used per image. Tolerance = fraction × ${args.scale === 'range' ? 'the page\'s intensity range (0.1–99.9 percentiles)' : 'the model\'s noise σ'}; the largest fraction within 0.05 dB on every preset.`, '',
  '```', ...table, '```', '', `Largest within 0.05 dB on every preset: ${chosen}·${unit}.`, '',
].join('\n'));
console.log(`wrote ${args.out}`);
