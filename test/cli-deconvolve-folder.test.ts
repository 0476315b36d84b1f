/**
 * `divblur deconvolve --in <folder>` runs the batch engine over every TIFF of a folder, as the CLI is run: the same
 * outputs as a batch (a stack per file with its page count and pixel size, manifest.json / manifest.csv), a corrupt
 * file reported without stopping the others, and resumable — a second run over the same folder recomputes only the
 * page whose result was removed and writes the same stack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeTiff, encodeTiff, gaussianPsf, Random, readTiffPixelSize, type Stack } from '@divblur/imaging';
import { writeRandomModel } from '@divblur/onnx/testing';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'apps', 'cli', 'bin', 'divblur.js');

async function divblur(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 1 << 24 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

function stack(count: number, side: number, seed: number): Stack {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: count * side * side }, (_, i) => 0.3 + 0.2 * Math.cos(i / 17) + 0.03 * random.normal()), count, height: side, width: side };
}

test('a folder of TIFFs: a stack per file with its pixel size, a manifest, a corrupt file reported; a second run recomputes only what is missing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-cli-folder-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const psf = gaussianPsf({ fwhmPx: 2 });
  await writeRandomModel(join(dir, 'model'), {
    config: { depth: 2, filters: [4, 8], latentChannels: 4, kernelSize: 3, output: 'linear' }, seed: 9,
    psf: { height: psf.height, width: psf.width, data: Array.from(psf.data) },
  });
  const acquisitions = join(dir, 'acquisitions');
  await mkdir(acquisitions);
  await writeFile(join(acquisitions, 'cell-1.tif'), encodeTiff(stack(3, 48, 1), { pixelSizeNm: 90 }));
  await writeFile(join(acquisitions, 'cell-2.tiff'), encodeTiff(stack(1, 160, 2)));
  await writeFile(join(acquisitions, 'broken.tif'), Buffer.from('II*\0 not really'));
  await writeFile(join(acquisitions, 'notes.txt'), 'not an image');
  const results = join(dir, 'results');
  const args = ['deconvolve', '--model', join(dir, 'model'), '--in', acquisitions, '--out', results, '--samples', '20', '--memory-mb', '1', '--with-std'];

  const first = await divblur(...args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /4 page\(s\) \(0 results already there, kept\), 1 file\(s\) failed/);
  assert.match(first.stderr, /deconvolve \[/, 'a progress bar on stderr');
  const cell1 = await readFile(join(results, 'cell-1.mmse.tif'));
  const decoded = decodeTiff(cell1);
  assert.deepEqual([decoded.stack.count, decoded.stack.height, decoded.stack.width], [3, 48, 48]);
  assert.ok(Math.abs(readTiffPixelSize(cell1).pixelSizeNm! - 90) < 1e-6);
  assert.equal(decodeTiff(await readFile(join(results, 'cell-1.std.tif'))).stack.count, 3);
  assert.equal(decodeTiff(await readFile(join(results, 'cell-2.mmse.tif'))).stack.height, 160);
  const manifest = JSON.parse(await readFile(join(results, 'manifest.json'), 'utf8'));
  assert.equal(manifest.pages.length, 4);
  assert.ok(manifest.pages.find((p: { input: string }) => p.input === 'cell-2').tiles > 1, 'the 160² page tiled at 1 MiB');
  assert.ok(manifest.pages.every((p: { samplesUsed: number; status: string }) => p.status === 'succeeded' && p.samplesUsed > 0));
  assert.match(manifest.inputs.find((i: { name: string }) => i.name === 'broken').error, /^TIFF_/);
  assert.match(await readFile(join(results, 'manifest.csv'), 'utf8'), /\r\nbroken,,failed,/);

  // Resume: one page's result gone (a run stopped there); the second run computes that one and writes the same stack.
  await rm(join(results, 'pages', 'cell-1', 'p0001.tif'));
  const second = await divblur(...args);
  assert.equal(second.code, 0, second.stderr);
  const tiles = manifest.pages.reduce((sum: number, p: { tiles: number }) => sum + p.tiles, 0);
  assert.match(second.stdout, new RegExp(`\\(${tiles - 1} results already there, kept\\)`));
  assert.deepEqual(await readFile(join(results, 'cell-1.mmse.tif')), cell1);
});
