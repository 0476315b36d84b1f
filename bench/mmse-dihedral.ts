/**
 * What test-time dihedral averaging costs on the serving path (ONNX Runtime, libs/onnx's mmse), and what ORT's
 * thread spinning costs: the same N samples split over 8 views means 8 encodes instead of 1, and each encode hands
 * the cores from the encoder's thread pool to the sampler's. Four cases, {plain, averaged} × {spinning on (ORT's
 * default), off (ours)}, alternate image by image in one process, so that the ratios see the same machine load;
 * medians of the per-image times and ratios are reported. Report network, random weights (speed does not depend on
 * the values).
 *   node --import tsx bench/mmse-dihedral.ts [--images 6] [--sizes 128,512] [--samples 100] → bench/results/mmse-dihedral.json
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SAMPLES, exportModel, loadModelSessions, mmse, type ModelSessions } from '@divblur/onnx';
import { writeRandomModel } from '@divblur/onnx/testing';
import { REPORT_MODEL } from '@divblur/divblurring/contract';

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '6' },
    sizes: { type: 'string', default: '128,512' },
    samples: { type: 'string', default: String(DEFAULT_SAMPLES) },
    out: { type: 'string', default: 'bench/results/mmse-dihedral.json' },
  },
});
const samples = Number(args.samples);
const dir = await mkdtemp(join(tmpdir(), 'divblur-bench-'));
await writeRandomModel(dir, { config: REPORT_MODEL, seed: 1 });
await exportModel(dir, join(dir, 'onnx'));
const sessions: Record<'spinning' | 'sleeping', ModelSessions> = {
  spinning: await loadModelSessions('bench', join(dir, 'onnx'), { spinning: true }),
  sleeping: await loadModelSessions('bench', join(dir, 'onnx'), { spinning: false }),
};

function image(size: number, index: number): { data: Float32Array; height: number; width: number } {
  const data = new Float32Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = 0.2 + 0.3 * Math.abs(Math.sin((i % size) / (7 + index)) * Math.cos(Math.floor(i / size) / 11));
  return { data, height: size, width: size };
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

for (const s of Object.values(sessions)) await mmse(s, image(32, 0), { samples: 2, dihedral: true }); // warm-up
const cases = [['sleeping', false], ['sleeping', true], ['spinning', false], ['spinning', true]] as const;
const rows = [];
for (const size of args.sizes!.split(',').map(Number)) {
  const times: number[][] = cases.map(() => []);
  for (let k = 0; k < Number(args.images); k++) {
    const y = image(size, k);
    // rotate the order image by image, so that no case always runs first
    for (let j = 0; j < cases.length; j++) {
      const c = (j + k) % cases.length;
      const t = performance.now();
      await mmse(sessions[cases[c][0]], y, { samples, seed: k, dihedral: cases[c][1] });
      times[c].push(performance.now() - t);
    }
  }
  const ratio = (a: number, b: number) => round(median(times[a].map((t, i) => t / times[b][i])));
  const row = {
    size, samples, images: times[0].length,
    plain_ms: Math.round(median(times[0])), dihedral_ms: Math.round(median(times[1])),
    plain_spinning_ms: Math.round(median(times[2])), dihedral_spinning_ms: Math.round(median(times[3])),
    dihedral_over_plain: ratio(1, 0), dihedral_over_plain_spinning: ratio(3, 2),
    plain_spinning_over_sleeping: ratio(2, 0), dihedral_spinning_over_sleeping: ratio(3, 1),
  };
  console.log(JSON.stringify(row));
  rows.push(row);
}
const command = `node --import tsx bench/mmse-dihedral.ts ${process.argv.slice(2).join(' ')}`.trim();
await writeFile(args.out!, JSON.stringify({ command, date: new Date().toISOString(), cores: availableParallelism(), cpu: cpus()[0]?.model, rows }, null, 1) + '\n');
