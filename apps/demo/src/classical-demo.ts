/** `npm run demo -- --classical`: the imaging-only demo, no services. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { classicalBaselines, simulate, writeTiff } from '@divblur/imaging';
import { createProgress, formatTable } from '@divblur/terminal';
import { BASELINE_LABELS } from './baseline-labels.ts';

export interface ClassicalDemoArgs { count: number; seed: number; out: string }

/** Simulates dataset1, runs the classical baselines and prints their PSNR/SSIM table. */
export async function classicalDemo(args: ClassicalDemoArgs): Promise<void> {
  const started = performance.now();
  const sim = simulate({ preset: 'dataset1', count: args.count, size: 128, seed: args.seed });
  process.stdout.write(`dataset1: ${args.count} images of 128², FWHM ${sim.fwhmPx} px, σ ${sim.noiseSigma}, seed ${args.seed}\n`);
  const progress = createProgress('baselines', args.count * 5);
  const scores = classicalBaselines(sim.noisy, sim.groundTruth, sim.psf, {
    noiseSigma: sim.noiseSigma,
    onProgress: (done) => progress.update(done),
  });
  progress.stop();
  await mkdir(args.out, { recursive: true });
  await writeTiff(join(args.out, 'noisy.tif'), sim.noisy);
  await writeTiff(join(args.out, 'gt.tif'), sim.groundTruth);
  await writeTiff(join(args.out, 'psf.tif'), { ...sim.psf, count: 1 });
  for (const score of scores) if (score.method !== 'input') await writeTiff(join(args.out, `${score.method}.tif`), score.estimates);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = scores.map((s) => [
    BASELINE_LABELS[s.method],
    s.psnr,
    s.ssim,
    s.method === 'input' ? '' : s.method.startsWith('rl') ? `${median(s.parameters)} iterations` : `balance ${median(s.parameters).toExponential(1)}`,
  ]);
  process.stdout.write('\n' + formatTable(['method', 'PSNR (dB)', 'SSIM', 'parameter (median)'], rows, [0, 2, 4]) + '\n');
  const json = scores.map(({ method, psnr, ssim, parameters }) => ({ method, psnr, ssim, parameters }));
  await writeFile(join(args.out, 'scores.json'), JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(`\nfiles in ${args.out}/ (TIFF stacks and scores.json); ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
