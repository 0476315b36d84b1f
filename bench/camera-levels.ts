/**
 * Where the camera preset's error lives: trains DivBlurring with the Gaussian model (σ estimated, one σ for every
 * pixel) and with the estimated Poisson–Gaussian model on bench/quality.ts's camera data (same seeds), and splits
 * each MMSE's squared error by the ground truth's level, GT / the image's peak in [0, .05) (background), [.05, .2),
 * [.2, .5), [.5, ∞) (bright structure): share of the total squared error, RMSE and mean bias (estimate − GT, ADU).
 * PSNR and SSIM are of the signal above the true offset, as in bench/quality.ts (improved variant: dihedral MMSE).
 * Short runs (600 steps by default) for comparing data terms and recipes, not the bench's 3000-step figures.
 *   node --import tsx bench/camera-levels.ts [--steps 600] [--models gaussian,poisson_gaussian] [--samples 32]
 *     → bench/results/camera-levels.json (rows appended, one per model and run)
 * Each model trains in its own process when run separately (--models gaussian, then --models poisson_gaussian).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { initBackend, trainModel, disposeModel, type TrainOptions } from '@divblur/divblurring';
import { deconvolveMmse } from '@divblur/divblurring/mmse-parity';
import { estimateNoiseModel, estimateStackNoiseSigma, simulateCamera, ssim, stackImage, type Stack } from '@divblur/imaging';

const { values: args } = parseArgs({ options: {
  steps: { type: 'string', default: '600' }, 'train-count': { type: 'string', default: '1000' }, 'test-count': { type: 'string', default: '20' },
  samples: { type: 'string', default: '32' }, models: { type: 'string', default: 'gaussian,poisson_gaussian' }, seed: { type: 'string', default: '0' },
  out: { type: 'string', default: 'bench/results/camera-levels.json' },
  /** none, or positivity on x − o at λ = 1/(2 v₀) as bench/quality.ts's --camera-penalty (v₀ = σ̂² or σ_r²). */
  penalty: { type: 'string', default: 'none' },
} });
const penalty = args.penalty!;
if (penalty !== 'none' && penalty !== 'positivity') throw new Error(`--penalty: none or positivity, got ${penalty}`);
const models = args.models!.split(',');
for (const m of models) if (m !== 'gaussian' && m !== 'poisson_gaussian') throw new Error(`--models: gaussian or poisson_gaussian, got ${m}`);
const backend = await initBackend('auto', () => {}, {});
const train = simulateCamera({ count: Number(args['train-count']), seed: 1 });
const test = simulateCamera({ count: Number(args['test-count']), seed: 2 });
const { psf, noiseModel: truth } = train;
const offset = truth.offset;
const estimated = estimateNoiseModel(train.noisy).model;
const sigma = estimateStackNoiseSigma(train.noisy);
const truthAdu: Stack = { ...test.groundTruth, data: test.groundTruth.data.map((v) => v + offset) };
const BINS = [[0, 0.05], [0.05, 0.2], [0.2, 0.5], [0.5, Infinity]] as const;
const command = `node --import tsx bench/camera-levels.ts ${process.argv.slice(2).join(' ')}`.trim();
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const rows: unknown[] = await readFile(args.out!, 'utf8').then((t) => JSON.parse(t) as unknown[], () => []);

for (const kind of models) {
  const unlitVariance = kind === 'gaussian' || estimated.kind !== 'poisson_gaussian' ? sigma ** 2 : estimated.readNoise ** 2;
  const penaltyOptions: Partial<TrainOptions> = penalty === 'none' ? {} : { penalty, lambda: 1 / (2 * unlitVariance) };
  const opts: Partial<TrainOptions> = kind === 'gaussian'
    ? (penalty === 'none' ? { noiseSigma: sigma } : { noiseModel: { kind: 'gaussian', sigma, offset: estimated.offset }, ...penaltyOptions })
    : { noiseModel: estimated, ...penaltyOptions };
  let last = { data: 0, kl: 0 };
  const t0 = Date.now();
  const result = await trainModel({ images: train.noisy, psf, steps: Number(args.steps), seed: Number(args.seed), ...opts } as TrainOptions, { onProgress: (p) => { last = p.loss; } });
  const out = await deconvolveMmse(result.model, test.noisy, { samples: Number(args.samples), seed: 0, groundTruth: truthAdu, dihedral: true });
  const se = BINS.map(() => 0);
  const count = BINS.map(() => 0);
  const bias = BINS.map(() => 0);
  const psnrs: number[] = [];
  const ssims: number[] = [];
  for (let i = 0; i < test.noisy.count; i++) {
    const g = stackImage(test.groundTruth, i);
    const e = stackImage(out.mmse, i).data.map((v) => v - offset);
    const peak = g.data.reduce((a, b) => Math.max(a, b), 0);
    let sum = 0;
    for (let p = 0; p < g.data.length; p++) {
      const d = e[p] - g.data[p];
      sum += d * d;
      const b = BINS.findIndex(([lo, hi]) => g.data[p] / peak >= lo && g.data[p] / peak < hi);
      se[b] += d * d;
      count[b]++;
      bias[b] += d;
    }
    psnrs.push(10 * Math.log10((peak * peak) / (sum / g.data.length)));
    ssims.push(ssim(g, { ...g, data: e }));
  }
  const total = se.reduce((a, b) => a + b, 0);
  const row = {
    model: kind, penalty, steps: Number(args.steps), seed: Number(args.seed), samples: Number(args.samples), psnr: mean(psnrs), ssim: mean(ssims),
    last_data: last.data, last_kl: last.kl, seconds: (Date.now() - t0) / 1000, backend: backend.engine, conv_precision: backend.convPrecision,
    bins: BINS.map(([lo, hi], b) => ({ lo, hi: Number.isFinite(hi) ? hi : null, pixels: count[b], share: se[b] / total, rmse: Math.sqrt(se[b] / count[b]), bias: bias[b] / count[b] })),
    command,
  };
  rows.push(row);
  console.log(`${kind.padEnd(17)} ${penalty} steps ${args.steps} psnr ${row.psnr.toFixed(3)} ssim ${row.ssim.toFixed(3)} data ${last.data.toFixed(3)} kl ${last.kl.toFixed(4)} ${row.seconds.toFixed(0)} s`);
  console.log('  GT/peak ' + row.bins.map((r) => `[${r.lo},${r.hi ?? "∞"}) share ${(r.share * 100).toFixed(1)} % rmse ${r.rmse.toFixed(2)} bias ${r.bias.toFixed(2)}`).join(' | '));
  disposeModel(result.model);
  await writeFile(args.out!, JSON.stringify(rows, null, 1) + '\n');
}
