/**
 * The packaged MMSE graph (libs/onnx mmse-graph.ts, the bioimage.io package's weights) against the service (issue 20):
 *  1. PSNR on dataset1 test images (the quality bench's: seed 2) of the graph's MMSE and of the service's (`mmse()`
 *     with the served defaults), the same N and both averaged over the PSF's symmetries; they must agree within 0.05 dB.
 *  2. Peak RSS of one run of the graph on a `--rss-size`² image in ONNX Runtime, a process of its own per graph
 *     (bench/mmse-graph-rss.mjs), for each N of `--rss-samples`: the Loop keeps it flat in N.
 *   node --import tsx bench/mmse-graph.ts --model DIR [--test-count 4] [--size 128] [--samples 100] [--rss-size 512]
 *        [--rss-samples 10,100] [--out bench/results/mmse-graph.json]
 * DIR: a trained model folder (e.g. bench/quality.ts --save-models); the report's network with random weights without.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { psnr, simulate, stackImage } from '@divblur/imaging';
import { REPORT_MODEL } from '@divblur/divblurring/contract';
import { buildMmseGraph, DEFAULT_SAMPLES, exportModel, loadModelSessions, mmse, readSavedModel, releaseModelSessions, SERVED_DIHEDRAL } from '@divblur/onnx';
import { writeRandomModel } from '@divblur/onnx/testing';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    'test-count': { type: 'string', default: '4' },
    size: { type: 'string', default: '128' },
    samples: { type: 'string', default: String(DEFAULT_SAMPLES) },
    'rss-size': { type: 'string', default: '512' },
    'rss-samples': { type: 'string', default: `10,${DEFAULT_SAMPLES}` },
    out: { type: 'string', default: 'bench/results/mmse-graph.json' },
  },
});
const command = `node --import tsx bench/mmse-graph.ts ${process.argv.slice(2).join(' ')}`.trim();
const samples = Number(args.samples);
const dir = await mkdtemp(join(tmpdir(), 'divblur-mmse-graph-'));
const modelDir = args.model ?? join(dir, 'model');
if (!args.model) await writeRandomModel(modelDir, { config: REPORT_MODEL, seed: 1 });
const saved = await readSavedModel(modelDir);
const sessions = await loadModelSessions('bench', (await exportModel(modelDir, join(dir, 'onnx'))).dir);
const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

// 1. PSNR, image by image.
const test = simulate({ preset: 'dataset1', count: Number(args['test-count']), size: Number(args.size), seed: 2 });
const graph = buildMmseGraph(saved, { samples });
// The service's thread settings (session.ts: threads = cores, no spinning), so that the times compare like with like.
const session = await ort.InferenceSession.create(graph.bytes, {
  intraOpNumThreads: availableParallelism(), extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const images = [];
for (let i = 0; i < test.noisy.count; i++) {
  const y = stackImage(test.noisy, i);
  const truth = stackImage(test.groundTruth, i);
  let started = performance.now();
  const service = await mmse(sessions, y, { samples, dihedral: SERVED_DIHEDRAL });
  const serviceSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const out = await session.run({ raw: new ort.Tensor('float32', y.data, [1, 1, y.height, y.width]) });
  const graphSeconds = (performance.now() - started) / 1000;
  const estimate = { data: out.mmse.data as Float32Array, height: y.height, width: y.width };
  images.push({
    index: i, psnrService: round(psnr(truth, { data: service.mmse, height: y.height, width: y.width }), 4), psnrGraph: round(psnr(truth, estimate), 4),
    serviceSeconds: round(serviceSeconds), graphSeconds: round(graphSeconds),
  });
  console.error(JSON.stringify(images.at(-1)));
}
await session.release();
await releaseModelSessions(sessions);
const psnrService = mean(images.map((r) => r.psnrService));
const psnrGraph = mean(images.map((r) => r.psnrGraph));

// 2. Peak RSS of one run, a process per graph.
const run = promisify(execFile);
const rss = [];
for (const n of args['rss-samples']!.split(',').map(Number)) {
  const path = join(dir, `mmse-${n}.onnx`);
  await writeFile(path, buildMmseGraph(saved, { samples: n }).bytes);
  const { stdout } = await run(process.execPath, [join(import.meta.dirname, 'mmse-graph-rss.mjs'), path, args['rss-size']!]);
  rss.push({ samples: n, ...JSON.parse(stdout) as { side: number; peakRssMiB: number; rssAfterLoadMiB: number; seconds: number } });
  console.error(JSON.stringify(rss.at(-1)));
}

const result = {
  command, date: new Date().toISOString().slice(0, 10), cores: availableParallelism(), model: args.model ?? 'report network, random weights',
  training: saved.manifest.training.steps ?? null, samples, views: graph.views.length, dihedral: SERVED_DIHEDRAL,
  psnr: { service: round(psnrService, 4), graph: round(psnrGraph, 4), difference: round(psnrGraph - psnrService, 4) },
  images, rss: rss.map((r) => ({ ...r, peakRssMiB: round(r.peakRssMiB, 1), rssAfterLoadMiB: round(r.rssAfterLoadMiB, 1), seconds: round(r.seconds, 2) })),
};
await writeFile(args.out!, JSON.stringify(result, null, 1) + '\n');
console.log(JSON.stringify(result.psnr), JSON.stringify(result.rss));
await rm(dir, { recursive: true, force: true });
