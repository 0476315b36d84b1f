import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readImageFile, meanPsnr } from '@divblur/imaging';
import { DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_SEED } from '@divblur/onnx';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', 'apps', 'cli', 'bin', 'divblur.js');

async function divblur(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {});
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

test('simulate → baseline → score: RL beats the input it was given, and score agrees with the library', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const simulated = await divblur('simulate', '--preset', 'dataset1', '--count', '3', '--size', '48', '--seed', '5', '--out', dir);
  assert.equal(simulated.code, 0, simulated.stderr);
  assert.deepEqual((await readdir(dir)).sort(), ['gt.tif', 'meta.json', 'noisy.tif', 'psf.tif']);

  const baseline = await divblur('baseline', '--in', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--method', 'rl', '--sigma', '0.03', '--out', join(dir, 'rl.tif'));
  assert.equal(baseline.code, 0, baseline.stderr);
  const [gt, noisy, rl] = await Promise.all(['gt.tif', 'noisy.tif', 'rl.tif'].map((f) => readImageFile(join(dir, f))));
  assert.equal(rl.rank, 3);
  assert.equal(rl.stack.count, 3);
  assert.ok(meanPsnr(gt.stack, rl.stack) > meanPsnr(gt.stack, noisy.stack));

  const scored = await divblur('score', '--gt', join(dir, 'gt.tif'), '--est', join(dir, 'rl.tif'), '--format', 'json');
  assert.equal(scored.code, 0, scored.stderr);
  const report = JSON.parse(scored.stdout) as { images: unknown[]; mean: { psnr: number; ssim: number } };
  assert.equal(report.images.length, 3);
  assert.ok(Math.abs(report.mean.psnr - meanPsnr(gt.stack, rl.stack)) < 1e-9);
});

test('bad input ends with exit code 2 and a message that names the problem, writing nothing', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'not-a.tif'), 'hello, I am text');
  await divblur('simulate', '--count', '1', '--size', '32', '--out', dir);
  const notTiff = await divblur('baseline', '--in', join(dir, 'not-a.tif'), '--psf', join(dir, 'psf.tif'), '--out', join(dir, 'out.tif'));
  assert.equal(notTiff.code, 2);
  assert.match(notTiff.stderr, /TIFF/);
  const evenPsf = join(dir, 'even.npy');
  const { encodeNpy } = await import('@divblur/imaging');
  await writeFile(evenPsf, encodeNpy({ data: new Float32Array(16).fill(1), count: 1, height: 4, width: 4 }));
  const even = await divblur('baseline', '--in', join(dir, 'noisy.tif'), '--psf', evenPsf, '--out', join(dir, 'out.tif'));
  assert.equal(even.code, 2);
  assert.match(even.stderr, /odd/);
  const badPreset = await divblur('simulate', '--preset', 'dataset9', '--out', join(dir, 'x'));
  assert.equal(badPreset.code, 2);
  assert.match(badPreset.stderr, /dataset1, dataset2/);
  const sigma = await divblur('simulate', '--sigma', '0', '--out', join(dir, 'x'));
  assert.notEqual(sigma.code, 0);
  assert.match(sigma.stderr, /> 0/);
  const missing = await divblur('baseline', '--in', join(dir, 'missing.tif'), '--psf', join(dir, 'psf.tif'), '--out', join(dir, 'out.tif'));
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /missing\.tif: no such file/);
  // train's flags go through the experiment spec's checks, as a run of the service does
  const patch = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--patch-size', '18', '--out', join(dir, 'x'));
  assert.equal(patch.code, 2, patch.stderr);
  assert.match(patch.stderr, /patchSize 18 must be a multiple of 2\^depth = 4/);
  assert.ok(!(await readdir(dir)).includes('out.tif'));
  assert.ok(!(await readdir(dir)).includes('x'));
});

test('train → deconvolve on simulated files writes a model, a loss curve and an MMSE of the input shape', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await divblur('simulate', '--count', '4', '--size', '32', '--seed', '1', '--out', dir);
  const model = join(dir, 'model');
  const trained = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--sigma', '0.03',
    '--steps', '4', '--batch-size', '2', '--patch-size', '16', '--seed', '3', '--out', model);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /backend/);
  // The engine and its thread layout are printed, and recorded with the model.
  const layoutOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).training.layout;
  const layout = await layoutOf(model);
  assert.match(trained.stderr, new RegExp(`training on ${layout.engine}: ${layout.shards} shards? × ${layout.threadsPerShard} threads?, ${layout.convPrecision} convolutions`));
  const oneShard = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--sigma', '0.03',
    '--steps', '2', '--batch-size', '2', '--patch-size', '16', '--shards', '1', '--conv-precision', 'f32', '--out', join(dir, 'one-shard'));
  assert.equal(oneShard.code, 0, oneShard.stderr);
  assert.deepEqual([(await layoutOf(join(dir, 'one-shard'))).shards, (await layoutOf(join(dir, 'one-shard'))).convPrecision], [1, 'f32']);
  for (const [flag, value] of [['--shards', '0'], ['--shards', 'two'], ['--conv-precision', 'fp8']]) {
    const bad = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--sigma', '0.03', '--steps', '2', flag, value, '--out', join(dir, 'bad'));
    assert.notEqual(bad.code, 0, `${flag} ${value} is refused`);
    assert.match(bad.stderr, flag === '--shards' ? /--shards must be auto or an integer/ : /--conv-precision must be auto, f32, bf16 or bf16-backward/);
  }
  const augmentationsOf = async (dir: string) => JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).training.hyperparameters.augmentations;
  assert.deepEqual(await augmentationsOf(model), [0, 1, 2, 3, 4, 5, 6, 7], 'a Gaussian PSF has all 8 symmetries');
  const files = await readdir(model);
  for (const f of ['model.json', 'weights.bin', 'loss.csv', 'checkpoint']) assert.ok(files.includes(f), `${f} missing: ${files.join(', ')}`);
  const csv = (await readFile(join(model, 'loss.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'step,total,data,kl,penalty,beta,learning_rate');
  assert.deepEqual(csv.slice(1).map((line) => Number(line.split(',')[0])), [1, 2, 3, 4]);
  // Interrupt a longer run with SIGINT once it has checkpointed, then resume it: the curve continues with no repeated step.
  const long = join(dir, 'long');
  const trainArgs = ['train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--sigma', '0.03',
    '--steps', '600', '--batch-size', '2', '--patch-size', '16', '--seed', '3', '--checkpoint-every', '5', '--augment', 'none', '--out', long];
  const child = spawn(process.execPath, [cli, ...trainArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let childErr = '';
  child.stderr.on('data', (chunk) => { childErr += chunk; });
  // Interrupt as soon as the first checkpoint (step 5) is on disk: independent of how fast this machine trains.
  const checkpointFile = join(long, 'checkpoint', 'checkpoint.json');
  const poll = setInterval(() => { if (existsSync(checkpointFile)) { clearInterval(poll); child.kill('SIGINT'); } }, 20);
  child.on('exit', () => clearInterval(poll));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(exitCode, 0, childErr);
  assert.match(childErr, /stopped at step \d+/);
  const stoppedAt = Number(/stopped at step (\d+)/.exec(childErr)![1]);
  assert.ok(stoppedAt >= 5 && stoppedAt < 600, `stopped at ${stoppedAt}`);
  const resumed = await divblur(...trainArgs, '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /trained 600 steps/);
  const steps = (await readFile(join(long, 'loss.csv'), 'utf8')).trim().split('\n').slice(1).map((line) => Number(line.split(',')[0]));
  assert.deepEqual(steps, Array.from({ length: 600 }, (_, i) => i + 1));
  assert.match(childErr, /augmenting with 1 of the 8 turns and mirrors: as asked \(transforms \[0\]\)/);
  assert.deepEqual(await augmentationsOf(long), [0], 'the resumed run keeps the checkpoint\'s augmentations');
  const decon = await divblur('deconvolve', '--model', model, '--in', join(dir, 'noisy.tif'), '--out', join(dir, 'mmse.tif'), '--std', join(dir, 'std.tif'), '--samples', '3');
  assert.equal(decon.code, 0, decon.stderr);
  const [mmse, std] = await Promise.all([readImageFile(join(dir, 'mmse.tif')), readImageFile(join(dir, 'std.tif'))]);
  assert.deepEqual([mmse.stack.count, mmse.stack.height, mmse.stack.width], [4, 32, 32]);
  assert.ok(std.stack.data.every((v) => v >= 0));
  assert.match(decon.stdout, /onnx/, 'ONNX Runtime is the default engine');
  assert.match(decon.stdout, /averaged over the PSF's symmetries/, 'test-time averaging is the default');
  const oneView = await divblur('deconvolve', '--model', model, '--in', join(dir, 'noisy.tif'), '--out', join(dir, 'mmse-one-view.tif'), '--samples', '3', '--no-dihedral');
  assert.equal(oneView.code, 0, oneView.stderr);
  assert.doesNotMatch(oneView.stdout, /averaged/);
  assert.notDeepEqual((await readImageFile(join(dir, 'mmse-one-view.tif'))).stack.data, mmse.stack.data);
  // Its defaults are the MMSE core's: stating them changes no byte.
  const explicit = await divblur('deconvolve', '--model', model, '--in', join(dir, 'noisy.tif'), '--out', join(dir, 'mmse-explicit.tif'),
    '--samples', '3', '--seed', String(DEFAULT_SEED), '--memory-mb', String(DEFAULT_MEMORY_BUDGET_BYTES / 2 ** 20));
  assert.equal(explicit.code, 0, explicit.stderr);
  assert.deepEqual((await readImageFile(join(dir, 'mmse-explicit.tif'))).stack.data, mmse.stack.data);
  // tfjs is no engine of the CLI: its MMSE (libs/divblurring's mmse-parity.ts) is a parity tool for tests and benchmarks.
  const tfjsEngine = await divblur('deconvolve', '--model', model, '--in', join(dir, 'noisy.tif'), '--out', join(dir, 'x.tif'), '--engine', 'tfjs');
  assert.notEqual(tfjsEngine.code, 0);
  assert.match(tfjsEngine.stderr, /unknown option '--engine'/);
});

test('camera data: train on a uint16 stack with no noise options estimates the Poisson–Gaussian model, prints it and trains; deconvolve writes the input\'s units', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-cli-camera-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const simulated = await divblur('simulate', '--preset', 'camera', '--count', '12', '--size', '64', '--seed', '2', '--out', dir);
  assert.equal(simulated.code, 0, simulated.stderr);
  const acquisition = await readImageFile(join(dir, 'noisy.tif'));
  assert.equal(acquisition.sourceDtype, 'uint16');
  const model = join(dir, 'model');
  const trained = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'),
    '--steps', '3', '--batch-size', '2', '--patch-size', '32', '--out', model);
  assert.equal(trained.code, 0, trained.stderr);
  const printed = /noise model estimated from the data: Poisson–Gaussian, gain ([\d.]+) ADU\/e⁻, read noise ([\d.]+) ADU, offset ([\d.]+) ADU \(estimated: gain, readNoise, offset\)/.exec(trained.stderr);
  assert.ok(printed, trained.stderr);
  const [gain, readNoise, offset] = printed.slice(1).map(Number);
  assert.ok(Math.abs(gain / 2 - 1) < 0.15 && Math.abs(readNoise / 3 - 1) < 0.2 && Math.abs(offset / 100 - 1) < 0.05, printed[0]);
  assert.doesNotMatch(trained.stderr, /noise σ estimated/);
  const manifest = JSON.parse(await readFile(join(model, 'model.json'), 'utf8'));
  assert.equal(manifest.noiseModel.kind, 'poisson_gaussian');
  assert.ok(Math.abs(manifest.noiseModel.gain - gain) < 1e-3 * gain, 'the model records what was printed');
  assert.equal(manifest.normalisation.offset, manifest.noiseModel.offset);

  const decon = await divblur('deconvolve', '--model', model, '--in', join(dir, 'noisy.tif'), '--out', join(dir, 'mmse.tif'), '--samples', '2');
  assert.equal(decon.code, 0, decon.stderr);
  assert.match(decon.stdout, /float32 in the input's units \(offset [\d.]+ kept\)/);
  const mean = (data: Float32Array) => data.reduce((a, b) => a + b, 0) / data.length;
  const estimate = await readImageFile(join(dir, 'mmse.tif'));
  assert.equal(estimate.sourceDtype, 'float32');
  // ADU with the offset kept: around the acquisition's level, not normalised and not offset-subtracted
  assert.ok(Math.abs(mean(estimate.stack.data) - mean(acquisition.stack.data)) < 20, `${mean(estimate.stack.data)} vs ${mean(acquisition.stack.data)}`);
  const asInput = await divblur('deconvolve', '--model', model, '--in', join(dir, 'noisy.tif'), '--out', join(dir, 'mmse-u16.tif'), '--samples', '2', '--dtype', 'input');
  assert.equal(asInput.code, 0, asInput.stderr);
  const integer = await readImageFile(join(dir, 'mmse-u16.tif'));
  assert.equal(integer.sourceDtype, 'uint16');
  integer.stack.data.forEach((v, i) => assert.ok(Math.abs(v - estimate.stack.data[i]) <= 0.5 + 1e-3, `pixel ${i}: ${v} vs ${estimate.stack.data[i]}`));

  // values the data contradict are typed errors (exit 2) that say what would be right
  const highOffset = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--offset', '5000',
    '--steps', '1', '--patch-size', '32', '--out', join(dir, 'bad'));
  assert.equal(highOffset.code, 2, highOffset.stderr);
  assert.match(highOffset.stderr, /offset 5000 lies above the data's median \d+.*\[NOISE_OFFSET\]/);
  const gaussianOnly = await divblur('train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--noise', 'gaussian', '--gain', '2',
    '--steps', '1', '--out', join(dir, 'bad'));
  assert.equal(gaussianOnly.code, 2);
  assert.match(gaussianOnly.stderr, /--gain and --read-noise belong to --noise poisson_gaussian/);
  assert.ok(!existsSync(join(dir, 'bad', 'model.json')));
});
