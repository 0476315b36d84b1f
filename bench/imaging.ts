/**
 * Imaging benchmarks: Richardson–Lucy iterations per second on 512×512 with a 15×15 PSF through
 * each convolution path, the direct-vs-FFT crossover behind convolve.ts's cost model, and
 * simulator images per second (128²).
 * Run: node --import tsx bench/imaging.ts   → bench/results/imaging.json and imaging.md
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createConvolver, gaussianPsf, richardsonLucy, simulate, Random } from '@divblur/imaging';
import type { ConvolutionMethod, Image } from '@divblur/imaging';

const COMMAND = 'node --import tsx bench/imaging.ts';
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

function timeIt(run: () => void, repeats: number): number {
  run(); // warm-up (JIT)
  const seconds: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    run();
    seconds.push((performance.now() - start) / 1000);
  }
  return median(seconds);
}

function randomImage(height: number, width: number, seed: number): Image {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: height * width }, () => random.uniform()), height, width };
}

// 1. RL on 512×512 with a 15×15 PSF (Gaussian FWHM 3.8 px → 15×15)
const psf = gaussianPsf({ fwhmPx: 3.8 });
const image = randomImage(512, 512, 1);
const rl: Record<string, { iterationsPerSecond: number; secondsPerIteration: number }> = {};
for (const method of ['direct', 'separable', 'fft'] as ConvolutionMethod[]) {
  const iterations = method === 'direct' ? 3 : 10;
  const seconds = timeIt(() => richardsonLucy(image, psf, { iterations, method, negatives: 'clip' }), 3);
  rl[method] = { iterationsPerSecond: iterations / seconds, secondsPerIteration: seconds / iterations };
  console.log(`RL 512² 15×15 ${method}: ${(iterations / seconds).toFixed(2)} it/s`);
}

// 2. crossover: one 'same' convolution, dense (non-separable) kernels, direct vs FFT
const crossover: { size: number; kernel: number; directMs: number; fftMs: number; nsPerMac: number; nsPerPointLog: number }[] = [];
for (const size of [128, 512]) {
  for (const kernel of [5, 9, 15, 21, 31]) {
    const x = randomImage(size, size, 2);
    const k = randomImage(kernel, kernel, 3);
    const result: Record<string, number> = {};
    for (const method of ['direct', 'fft'] as ConvolutionMethod[]) {
      const plan = createConvolver(size, size, k, 'same', method);
      const out = new Float32Array(size * size);
      result[method] = timeIt(() => plan.apply(x.data, out), size > 200 ? 2 : 5) * 1000;
    }
    const p = 2 ** Math.ceil(Math.log2(size + kernel - 1));
    crossover.push({
      size, kernel, directMs: result.direct, fftMs: result.fft,
      nsPerMac: (result.direct * 1e6) / (size * size * kernel * kernel),
      nsPerPointLog: (result.fft * 1e6) / (p * p * Math.log2(p * p)),
    });
    console.log(`conv ${size}² ${kernel}×${kernel}: direct ${result.direct.toFixed(1)} ms, fft ${result.fft.toFixed(1)} ms`);
  }
}

// 3. simulator
const simulator: Record<string, number> = {};
for (const preset of ['dataset1', 'dataset2'] as const) {
  const count = 200;
  const seconds = timeIt(() => simulate({ preset, count, seed: 7 }), 2);
  simulator[preset] = count / seconds;
  console.log(`simulate ${preset} 128²: ${(count / seconds).toFixed(0)} images/s`);
}

const results = {
  command: COMMAND,
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
  loadAverage1m: loadavg()[0],
  richardsonLucy512Psf15: rl,
  convolutionCrossover: crossover,
  simulatorImagesPerSecond128: simulator,
};
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('imaging.json', dir), JSON.stringify(results, null, 2) + '\n');
const md = [
  '# Imaging benchmark',
  '',
  `Command: \`${COMMAND}\` — ${results.date}, Node ${results.node}, ${results.cpu}, 1-min load ${results.loadAverage1m.toFixed(2)} (shared machine: other work was running).`,
  '',
  '## Richardson–Lucy, 512×512, 15×15 Gaussian PSF (FWHM 3.8 px), two convolutions per iteration',
  '',
  '| convolution path | iterations / s | ms / iteration |',
  '| --- | --- | --- |',
  ...Object.entries(rl).map(([m, r]) => `| ${m} | ${r.iterationsPerSecond.toFixed(2)} | ${(r.secondsPerIteration * 1000).toFixed(0)} |`),
  '',
  '## One \'same\' convolution, dense kernel: direct vs FFT (the cost model in convolve.ts)',
  '',
  '| image | kernel | direct ms | FFT ms | direct ns/MAC | FFT ns per P·Q·log2(P·Q) |',
  '| --- | --- | --- | --- | --- | --- |',
  ...crossover.map((c) => `| ${c.size}² | ${c.kernel}² | ${c.directMs.toFixed(2)} | ${c.fftMs.toFixed(2)} | ${c.nsPerMac.toFixed(2)} | ${c.nsPerPointLog.toFixed(2)} |`),
  '',
  '## Simulator, 128×128 images (GT + blurred noisy), 200 per run',
  '',
  '| preset | images / s |',
  '| --- | --- |',
  ...Object.entries(simulator).map(([p, v]) => `| ${p} | ${v.toFixed(0)} |`),
  '',
].join('\n');
writeFileSync(new URL('imaging.md', dir), md);
console.log(md);
