/**
 * 100-sample MMSE latency: ONNX Runtime (libs/onnx) vs the tfjs path (libs/divblurring's deconvolveMmse on its
 * best backend: native oneDNN where built, else wasm; both return the MMSE and the std map) vs the FLOP lower bound (decoder FLOPs × samples / the GFLOP/s
 * of a MatMul probe). Each (size, engine) case runs in its own child process, so that its peak RSS is its own, and
 * that child measures the probe itself just before its images: on a shared machine the bound then sees the same
 * load as the case it bounds.
 *   node --import tsx bench/inference.ts [--images-2048 3] [--quick]   → bench/results/inference.{json,md}
 * Random weights of the report's network (speed does not depend on the values).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { DEFAULT_SAMPLES, GraphBuilder, encodeModel, exportModel, loadModelSessions, mmse } from '@divblur/onnx';
import { writeRandomModel } from '@divblur/onnx/testing';
import { REPORT_MODEL, type ModelConfig } from '@divblur/divblurring/contract';

const SAMPLES = DEFAULT_SAMPLES;
const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
/**
 * [size, engine, images, samples]. ONNX Runtime, the serving path, gets 20 images of 100 samples at every size
 * (at 2048² one 100-sample MMSE is ~34 TFLOP, minutes on 2 cores: `--images-2048` shortens a trial run).
 * The tfjs path, the slower reference, gets fewer images where it takes minutes (ms per sample compared).
 */
const FULL_CASES: [number, 'onnxruntime' | 'tfjs', number, number][] = [
  [128, 'onnxruntime', 20, SAMPLES], [128, 'tfjs', option('--tfjs-images-128', 20), SAMPLES],
  [512, 'onnxruntime', 20, SAMPLES], [512, 'tfjs', option('--tfjs-images-512', 3), SAMPLES],
  [2048, 'onnxruntime', option('--images-2048', 20), SAMPLES], [2048, 'tfjs', 1, option('--tfjs-samples-2048', 10)],
];
/** `--quick`: a smoke run of the harness (seconds), results not written. */
const QUICK = process.argv.includes('--quick');
const CASES = QUICK ? FULL_CASES.map(([size, engine]) => [size / 4, engine, 2, 4] as (typeof FULL_CASES)[number]) : FULL_CASES;

interface Row {
  size: number; engine: string; backend: string; samples: number; images: number; median_ms: number; p95_ms: number;
  flop_bound_ms: number; probe_gflops: number; peak_rss_mb: number;
}

/** Decoder multiply-adds ×2 for one H×W sample (convs 3×3, up-convs 2×2/2, output conv). */
export function decoderFlops(config: ModelConfig, height: number, width: number): number {
  let flops = 0;
  let channels = config.latentChannels;
  for (let i = config.depth - 1; i >= 0; i--) {
    const pixels = (height * width) / 4 ** i;
    const f = config.filters[i];
    flops += 2 * pixels * channels * f + 2 * 2 * pixels * 9 * f * f;
    channels = f;
  }
  return flops + 2 * height * width * 9 * channels;
}

/**
 * The machine's sgemm GFLOP/s: ORT's MatMul (MLAS, all cores) on square matrices of 512, 1024 and 2048, best of
 * several runs each, the best of the three sizes. A GEMM at its best size is what conv kernels approach, so
 * decoder FLOPs / this is a lower bound on a decode's time (up to the probe's own noise).
 */
async function matmulGflops(): Promise<number> {
  let best = 0;
  for (const n of [512, 1024, 2048]) {
    const b = new GraphBuilder('probe');
    b.node('MatMul', [b.input('a', [n, n]), b.input('b', [n, n])], {}, [b.output('c', [n, n])]);
    const session = await ort.InferenceSession.create(encodeModel(b.graph(), {}, 'probe'), { intraOpNumThreads: availableParallelism(), graphOptimizationLevel: 'all' });
    const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => (i % 7) / 7), [n, n]);
    const runs = Math.max(5, Math.round(2 ** 33 / (2 * n ** 3))); // ≥ ~8 GFLOP of work per size
    for (let k = 0; k < runs; k++) {
      const t = performance.now();
      await session.run({ a, b: a });
      best = Math.max(best, (2 * n ** 3) / ((performance.now() - t) * 1e6));
    }
    await session.release();
  }
  return best;
}

function image(size: number, index: number): { data: Float32Array; height: number; width: number } {
  const data = new Float32Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = 0.2 + 0.3 * Math.abs(Math.sin((i % size) / (7 + index)) * Math.cos(Math.floor(i / size) / 11));
  return { data, height: size, width: size };
}

/**
 * The tfjs path (libs/divblurring's mmse-parity.ts, `divblur deconvolve --engine tfjs` until issue 13), which
 * returns the same things as the ONNX path (MMSE and per-pixel std), on the best tfjs backend.
 */
async function tfjsMmse(size: number, images: number, samples: number, modelDir: string): Promise<{ times: number[]; backend: string }> {
  const { initBackend, loadModel } = await import('@divblur/divblurring');
  const { deconvolveMmse } = await import('@divblur/divblurring/mmse-parity');
  const info = await initBackend('auto');
  console.error(`tfjs backend: ${info.engine}`);
  const model = await loadModel(modelDir);
  const times: number[] = [];
  for (let k = 0; k < images; k++) {
    const y = image(size, k);
    const t = performance.now();
    await deconvolveMmse(model, { data: y.data, count: 1, height: size, width: size }, { samples, seed: k });
    times.push(performance.now() - t);
  }
  return { times, backend: info.engine };
}

async function ortMmse(size: number, images: number, samples: number, onnxDir: string): Promise<{ times: number[]; backend: string }> {
  const sessions = await loadModelSessions('bench', onnxDir);
  await mmse(sessions, image(32, 0), { samples: 2 }); // warm-up: graph optimisation, arena
  const times: number[] = [];
  for (let k = 0; k < images; k++) {
    const t = performance.now();
    await mmse(sessions, image(size, k), { samples, seed: k });
    times.push(performance.now() - t);
  }
  return { times, backend: `ort-cpu-${ort.env.versions.common}` };
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

async function child(args: string[]): Promise<void> {
  const [size, engine, images, samples, modelDir] = [Number(args[0]), args[1], Number(args[2]), Number(args[3]), args[4]];
  const gflops = await matmulGflops();
  const { times, backend } = engine === 'onnxruntime' ? await ortMmse(size, images, samples, join(modelDir, 'onnx')) : await tfjsMmse(size, images, samples, modelDir);
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ times, backend, gflops, peak_rss_mb: Math.round(peak) }));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-bench-'));
  await writeRandomModel(dir, { config: REPORT_MODEL, seed: 1 });
  await exportModel(dir, join(dir, 'onnx'));
  const rows: Row[] = [];
  for (const [size, engine, images, samples] of CASES) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(size), engine, String(images), String(samples), dir],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    const line = run.stdout.trim().split('\n').at(-1) ?? '';
    if (run.status !== 0 || !line.startsWith('{')) {
      console.log(`${size}² ${engine}: failed (status ${run.status})`);
      continue;
    }
    const { times, backend, gflops, peak_rss_mb } = JSON.parse(line) as { times: number[]; backend: string; gflops: number; peak_rss_mb: number };
    const flopBound = (decoderFlops(REPORT_MODEL, size, size) * samples) / (gflops * 1e6);
    const row: Row = { size, engine, backend, samples, images, median_ms: Math.round(quantile(times, 0.5)), p95_ms: Math.round(quantile(times, 0.95)),
      flop_bound_ms: Math.round(flopBound), probe_gflops: Math.round(gflops * 10) / 10, peak_rss_mb };
    rows.push(row);
    console.log(JSON.stringify(row), `×bound ${(row.median_ms / flopBound).toFixed(2)}`);
    // Written after every case, so that a stopped run keeps what it measured (`complete` says whether it finished).
    if (!QUICK) await writeResults(rows, rows.length === CASES.length);
  }
}

async function writeResults(rows: Row[], complete: boolean): Promise<void> {
  const results = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
  const command = `node --import tsx bench/inference.ts ${process.argv.slice(2).join(' ')}`.trim();
  await writeFile(join(results, 'inference.json'), JSON.stringify({ command, date: new Date().toISOString(), complete, rows }, null, 1) + '\n');
  const lines = [
    '# MMSE inference latency', '', `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, ${availableParallelism()} cores, ${cpus()[0]?.model}).`,
    ...(complete ? [] : ['', '**Partial: the run was stopped before its last case.**', '']),
    'Report network, random weights. FLOP bound = decoder FLOPs × samples / the GFLOP/s of an ORT MatMul probe (best of',
    '512², 1024², 2048²) measured by the same child process just before its case.',
    'Images per case and samples are in the table; per-sample cost is linear in samples, so the speed-up column compares ms per sample.', '',
    '| size | engine | backend | images | samples | median ms | p95 ms | probe GFLOP/s | FLOP bound ms | × bound | peak RSS MB | ORT speed-up vs tfjs (per sample) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const ortRow = rows.find((r) => r.size === row.size && r.engine === 'onnxruntime');
    const tfRow = rows.find((r) => r.size === row.size && r.engine === 'tfjs');
    const speedup = ortRow && tfRow ? ((tfRow.median_ms / tfRow.samples) / (ortRow.median_ms / ortRow.samples)).toFixed(1) : '';
    lines.push(`| ${row.size}² | ${row.engine} | ${row.backend} | ${row.images} | ${row.samples} | ${row.median_ms} | ${row.p95_ms} | ${row.probe_gflops} | ${row.flop_bound_ms} | ${(row.median_ms / row.flop_bound_ms).toFixed(2)} | ${row.peak_rss_mb} | ${row.engine === 'tfjs' ? speedup : ''} |`);
  }
  await writeFile(join(results, 'inference.md'), lines.join('\n') + '\n');
}

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await main();
