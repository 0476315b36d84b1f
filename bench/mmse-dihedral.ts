/**
 * What test-time dihedral averaging costs on the serving path (ONNX Runtime, libs/onnx's mmse): the same N samples
 * split over 8 views means 8 encodes instead of 1 and smaller decode batches. Plain and averaged runs alternate
 * image by image in one process, so the ratio sees the same machine load; the median of the per-image ratios is
 * reported. Report network, random weights (speed does not depend on the values).
 *   node --import tsx bench/mmse-dihedral.ts [--images 10] [--sizes 128,512] [--samples 100] → bench/results/mmse-dihedral.json
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportModel, loadModelSessions, mmse, REPORT_NETWORK, writeRandomModel } from '@divblur/onnx';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '10' },
    sizes: { type: 'string', default: '128,512' },
    samples: { type: 'string', default: '100' },
    out: { type: 'string', default: 'bench/results/mmse-dihedral.json' },
  },
});
const samples = Number(args.samples);
const dir = await mkdtemp(join(tmpdir(), 'divblur-bench-'));
await writeRandomModel(dir, { config: REPORT_NETWORK, seed: 1 });
await exportModel(dir, join(dir, 'onnx'));
const sessions = await loadModelSessions('bench', join(dir, 'onnx'));

function image(size: number, index: number): { data: Float32Array; height: number; width: number } {
  const data = new Float32Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = 0.2 + 0.3 * Math.abs(Math.sin((i % size) / (7 + index)) * Math.cos(Math.floor(i / size) / 11));
  return { data, height: size, width: size };
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

await mmse(sessions, image(32, 0), { samples: 2, dihedral: true }); // warm-up: graph optimisation, arena
const rows = [];
for (const size of args.sizes!.split(',').map(Number)) {
  const plain: number[] = [];
  const averaged: number[] = [];
  for (let k = 0; k < Number(args.images); k++) {
    const y = image(size, k);
    // alternate which goes first, so that neither always runs on a warmer cache
    for (const dihedral of k % 2 === 0 ? [false, true] : [true, false]) {
      const t = performance.now();
      await mmse(sessions, y, { samples, seed: k, dihedral });
      (dihedral ? averaged : plain).push(performance.now() - t);
    }
  }
  const ratios = plain.map((p, i) => averaged[i] / p);
  const row = { size, samples, images: plain.length, plain_median_ms: Math.round(median(plain)), dihedral_median_ms: Math.round(median(averaged)), ratio_median: Math.round(median(ratios) * 1000) / 1000 };
  console.log(JSON.stringify(row));
  rows.push(row);
}
const command = `node --import tsx bench/mmse-dihedral.ts ${process.argv.slice(2).join(' ')}`.trim();
await writeFile(args.out!, JSON.stringify({ command, date: new Date().toISOString(), cores: availableParallelism(), rows }, null, 1) + '\n');
