/**
 * The bioimage.io package as a stranger receives it: built the user's two ways (`divblur export --bioimageio` and
 * `GET /v1/models/:id/package` after the trainer's export), then checked by test/bioimageio-consumer.mjs in a
 * process of its own that loads no divblur code (plain JavaScript, onnxruntime-node, fflate and yaml): every field the
 * bioimage.io model format 0.5.7 requires, present and well-typed; every sha256; the test inputs through the weights
 * in ONNX Runtime reproduce the test outputs. The same consumer rejects packages with one thing wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { unzipSync, zipSync } from 'fflate';
import { parse, stringify } from 'yaml';
import { encodeTiff, gaussianPsf, type Stack } from '@divblur/imaging';
import { initBackend, loadModel } from '@divblur/divblurring';
import { writeRandomModel } from '@divblur/onnx/testing';
import { exportToBlobs } from '../apps/trainer/src/model-export.ts';
import { createHarness, multipart } from './api-harness.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const consumer = join(import.meta.dirname, 'bioimageio-consumer.mjs');
const TINY = { depth: 2, filters: [4, 8], latentChannels: 4, kernelSize: 3, output: 'linear' } as const;

interface Verdict {
  spec: string; problems: string[]; hashes: string[];
  reproduced: Record<string, { maxError: number; peak: number; mismatched: number }>;
}

/** The consumer in its own process, with no TypeScript loader: it can load nothing of divblur. */
async function strangerChecks(zipPath: string): Promise<{ code: number; verdict: Verdict }> {
  try {
    const { stdout } = await run(process.execPath, [consumer, zipPath], { cwd: root });
    return { code: 0, verdict: JSON.parse(stdout) as Verdict };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    assert.ok(e.stdout, e.stderr);
    return { code: e.code, verdict: JSON.parse(e.stdout) as Verdict };
  }
}

function assertAccepted({ code, verdict }: { code: number; verdict: Verdict }): void {
  assert.deepEqual(verdict.problems, []);
  assert.equal(code, 0);
  assert.match(verdict.spec, /format 0\.5\.7 \(bioimageio\.spec 0\.5\.7\.2\)/);
  for (const file of ['mmse.onnx', 'sample.onnx', 'test_input.npy', 'test_output_mmse.npy', 'test_output_std.npy', 'psf.npy']) assert.ok(verdict.hashes.includes(file), file);
  for (const output of ['mmse', 'std']) {
    const { maxError, peak } = verdict.reproduced[output];
    // Within 1e-4, and within 1e-4 of the output's peak (the tolerance rdf.yaml states).
    assert.ok(peak > 1e-3 && maxError <= 1e-4 * Math.min(1, peak), `${output}: max error ${maxError} against peak ${peak}`);
  }
}

async function randomModel(dir: string): Promise<string> {
  const path = join(dir, 'model');
  await writeRandomModel(path, { config: TINY, seed: 5, normalisation: { mean: 0.3, std: 0.4 }, psf: gaussianPsf({ fwhmPx: 2 }) });
  return path;
}

test('divblur export --bioimageio writes a package a stranger can check and run with onnxruntime alone; one wrong thing fails it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-bioimageio-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const zipPath = join(dir, 'out.zip');
  const cli = await run(process.execPath, [join(root, 'apps', 'cli', 'bin', 'divblur.js'), 'export', '--model', await randomModel(dir), '--bioimageio', zipPath, '--samples', '30', '--name', 'tiny test model']);
  assert.match(cli.stdout, /wrote .*out\.zip: bioimage\.io model package/);
  assertAccepted(await strangerChecks(zipPath));

  const files = unzipSync(await readFile(zipPath));
  const rdf = parse(new TextDecoder().decode(files['rdf.yaml']));
  assert.equal(rdf.name, 'tiny test model');
  const rezip = async (name: string, change: (f: Record<string, Uint8Array>, r: typeof rdf) => void) => {
    const copy = { ...files };
    const description = structuredClone(rdf);
    change(copy, description);
    copy['rdf.yaml'] = new TextEncoder().encode(stringify(description));
    const path = join(dir, `${name}.zip`);
    await writeFile(path, zipSync(copy));
    return strangerChecks(path);
  };
  const tampered = await rezip('tampered', (f) => {
    f['test_output_mmse.npy'] = f['test_output_mmse.npy'].slice();
    f['test_output_mmse.npy'][200] ^= 1;
  });
  assert.equal(tampered.code, 1);
  assert.ok(tampered.verdict.problems.some((p) => /sha256 of test_output_mmse\.npy/.test(p)), tampered.verdict.problems.join('; '));
  const uncited = await rezip('uncited', (_, r) => { delete r.cite; });
  assert.deepEqual(uncited.verdict.problems, ['FAIR field cite is missing']);
  const haloTooBig = await rezip('halo', (_, r) => { r.outputs[0].axes[2].halo = 40; });
  assert.ok(haloTooBig.verdict.problems.some((p) => /too small for halo 40/.test(p)));
  const wrongOutput = await rezip('wrong-output', (f, r) => {
    // A test output that does not match the weights, with its sha256 updated: only running the graph finds it.
    const bytes = f['test_output_std.npy'].slice();
    const values = new Float32Array(bytes.buffer, bytes.byteLength - 4 * 64 * 64, 64 * 64);
    values[0] += 1;
    f['test_output_std.npy'] = bytes;
    r.outputs[1].test_tensor.sha256 = createHash('sha256').update(bytes).digest('hex');
  });
  assert.ok(wrongOutput.verdict.problems.some((p) => /output std: 1 elements beyond the stated tolerance/.test(p)), wrongOutput.verdict.problems.join('; '));
});

test('GET /v1/models/:id/package serves the package the trainer built at export, and it passes the same checks', async (t) => {
  const h = await createHarness();
  const dir = await mkdtemp(join(tmpdir(), 'divblur-bioimageio-api-'));
  t.after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });
  const stack: Stack = { data: Float32Array.from({ length: 2 * 48 * 48 }, (_, i) => i % 7), count: 2, height: 48, width: 48 };
  const form = await multipart({ noisy: encodeTiff(stack), psf: encodeTiff({ data: new Float32Array(25).fill(1 / 25), count: 1, height: 5, width: 5 }) });
  const datasetId = (await h.app.inject({ method: 'POST', url: '/v1/datasets', ...form })).json().id;
  const spec = { method: 'divblurring', penalty: 'none', lambda: 0, noiseSigma: 0.03, training: { steps: 5, patchSize: 32, batchSize: 4 } };
  const { runs } = (await h.app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId, spec } })).json();
  await initBackend('cpu'); // loadModel holds the weights as tfjs tensors, as the trainer's trained model does
  const model = await exportToBlobs(h.db.models, h.blobs, runs[0].id, await loadModel(await randomModel(dir)), {});
  const response = await h.app.inject({ method: 'GET', url: `/v1/models/${model.id}/package` });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'application/zip');
  const zipPath = join(dir, 'served.zip');
  await writeFile(zipPath, response.rawPayload);
  assertAccepted(await strangerChecks(zipPath));
  const rdf = parse(new TextDecoder().decode(unzipSync(response.rawPayload)['rdf.yaml']));
  assert.equal(rdf.config.divblur.run_id, runs[0].id);
  assert.equal(rdf.name, `divblur run ${runs[0].id}`);
});
