// Training speed: ms per step of libs/divblurring's trainer (the report's network, batch 32 of 64²,
// 11×11 PSF valid-mode data term + KL, Adam) on each engine that loads here, and PyTorch's reference step
// (bench/torch_train_step.py) in the same run. Engines alternate over rounds so that all see
// the same machine load; each engine's figure is its best round median.
//   node --import tsx bench/train-speed.ts [--rounds 2] [--steps 12] [--wasm-steps 3] [--engines pytorch,native,...]
//   node --import tsx bench/train-speed.ts --engine native --profile    (one engine, per-kernel profile)
// native-unfused is the native engine without libs/tfjs-native's fused kernels (relu + bias backward, Adam) and without
// libs/divblurring's fused conv + bias + relu: what those bought, in the same run.
// Writes bench/results/train-speed.json (rows { engine, threads, median_ms, samples_per_s }) and .md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const torchScripts: Record<string, string> = {
  pytorch: resolve(repoRoot, 'bench/torch_train_step.py'),
  // The same reference with divblur's decoder (up-sampling before the convs, as parameterShapes in
  // libs/divblurring/src/architecture.ts orders them).
  'pytorch-same-network': resolve(repoRoot, 'bench/torch_contract_step.py'),
};
const { values: args } = parseArgs({ options: {
  engine: { type: 'string' }, engines: { type: 'string', default: 'pytorch,native,native-unfused,pytorch-same-network,native-1t,wasm' },
  rounds: { type: 'string', default: '2' }, steps: { type: 'string', default: '12' },
  'wasm-steps': { type: 'string', default: '3' }, warmup: { type: 'string', default: '2' },
  batch: { type: 'string', default: '32' }, patch: { type: 'string', default: '64' }, psf: { type: 'string', default: '11' },
  profile: { type: 'boolean', default: false }, out: { type: 'string', default: 'bench/results/train-speed' },
} });

interface Row { engine: string; threads: number; shards?: number; median_ms: number; samples_per_s: number; min_ms?: number; steps?: number }

const batch = Number(args.batch);

/** One engine in this process: builds the trainer, times `steps` steps after `warmup`, prints a JSON row. */
async function runEngine(engine: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { createLayoutTrainer, createTrainer, initBackend, trainHyperparameters } = await import('@divblur/divblurring');
  let threads = 1;
  let shards = 1;
  const dataParallel = engine.startsWith('native-dp');
  if (dataParallel) {
    // The product's default layout (libs/divblurring train.ts createLayoutTrainer): one shard per core, 1 thread each.
    const loaded = await initBackend('native', undefined, { convPrecision: engine.includes('bf16') ? 'bf16' : 'f32' }).catch(() => null);
    if (!loaded) { console.log(JSON.stringify({ engine, unavailable: true })); return; }
  } else if (engine.startsWith('native')) {
    const { tryLoadNativeBackend } = await import('../libs/divblurring/src/native-backend.ts');
    const loaded = await tryLoadNativeBackend({ threads: engine.endsWith('-1t') ? 1 : undefined,
      convPrecision: engine.includes('bf16') ? 'bf16' : 'f32' });
    if (!loaded) { console.log(JSON.stringify({ engine, unavailable: true })); return; }
    threads = loaded.threads;
    if (engine === 'native-unfused') {
      // The step as it was before the fused kernels: conv, bias Add and Relu apart, Step·dy and Sum backward, Adam in ten ops.
      (await import('@divblur/divblurring')).useFusedConvolutions(false);
      const { ADAM_UPDATE, RELU_BIAS_BACKPROP } = await import('@divblur/tfjs-native');
      for (const name of [ADAM_UPDATE, RELU_BIAS_BACKPROP]) tf.unregisterKernel(name, 'cpu');
    }
  } else {
    await initBackend(engine as 'wasm' | 'cpu');
  }
  const patch = Number(args.patch);
  const psfPx = Number(args.psf);
  const imagePx = 256;
  const count = 8;
  const images = { data: new Float32Array(count * imagePx * imagePx), count, height: imagePx, width: imagePx };
  let state = 12345;
  for (let i = 0; i < images.data.length; i++) { state = (state * 1103515245 + 12345) % 2 ** 31; images.data[i] = state / 2 ** 31; }
  const psf = { data: new Float32Array(psfPx * psfPx).fill(1 / psfPx ** 2), height: psfPx, width: psfPx };
  const trainOptions = { images, psf, noiseSigma: 0.05, batchSize: batch, patchSize: patch, steps: 1000, seed: 1 };
  let trainer = dataParallel ? null : createTrainer(trainOptions);
  if (!trainer) {
    const built = await createLayoutTrainer(trainOptions, trainHyperparameters(trainOptions), 'auto');
    ({ trainer } = built);
    shards = built.layout.shards;
    threads = built.layout.shards * built.layout.threadsPerShard;
    console.error(`${engine}: ${built.layout.shards} shards × ${built.layout.threadsPerShard} thread, ${built.layout.convPrecision} convolutions`);
  }
  const steps = Number(engine === 'wasm' ? args['wasm-steps'] : args.steps);
  const warmup = Number(args.warmup);
  const profiler = args.profile ? (await import('@divblur/tfjs-native')).installKernelProfiler(tf.getBackend()) : null;
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) profiler?.reset();
    const data = trainer.nextBatch();
    const started = performance.now();
    trainer.train(data);
    if (i >= warmup) times.push(performance.now() - started);
  }
  if (profiler) {
    const rows = profiler.report();
    const total = rows.reduce((a, r) => a + r.totalMs, 0);
    console.error(`per step: ${(times.reduce((a, b) => a + b, 0) / steps).toFixed(1)} ms, in kernels ${(total / steps).toFixed(1)} ms`);
    for (const r of rows.slice(0, 30)) {
      console.error(`${r.kernelName.padEnd(24)} ${String(r.calls / steps).padStart(6)} calls ${(r.totalMs / steps).toFixed(2).padStart(9)} ms ${(100 * r.totalMs / total).toFixed(1).padStart(5)} %`);
    }
  }
  trainer.dispose();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const row: Row = { engine, threads, shards, median_ms: Math.round(median * 10) / 10, min_ms: Math.round(times[0] * 10) / 10,
    samples_per_s: Math.round((batch * 1000 / median) * 10) / 10, steps };
  console.log(JSON.stringify(row));
}

function runChild(engine: string): Row | null {
  const torchScript = torchScripts[engine];
  if (torchScript) {
    if (!existsSync('/usr/bin/python3') || !existsSync(torchScript)) return null;
    try {
      const out = execFileSync('/usr/bin/python3', [torchScript, '--threads', String(availableParallelism()), '--steps', args.steps as string,
        '--batch', String(batch), '--patch', args.patch as string, '--psf', args.psf as string], { encoding: 'utf8' });
      return JSON.parse(out.trim().split('\n').at(-1) as string) as Row;
    } catch {
      return null; // python3-torch not installed
    }
  }
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--engine', engine,
    ...process.argv.slice(2).filter((a, i, all) => a !== '--engines' && all[i - 1] !== '--engines')],
  { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const row = JSON.parse(out.trim().split('\n').at(-1) as string) as Row & { unavailable?: boolean };
  return row.unavailable ? null : row;
}

async function main(): Promise<void> {
  if (args.engine) return runEngine(args.engine);
  const engines = (args.engines as string).split(',');
  const best = new Map<string, Row>();
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const engine of engines) {
      const row = runChild(engine);
      console.error(`round ${round + 1} ${engine}: ${row ? `${row.median_ms} ms/step (${row.threads} threads)` : 'unavailable'}`);
      if (row && (!best.has(engine) || row.median_ms < (best.get(engine) as Row).median_ms)) best.set(engine, row);
    }
  }
  const rows = [...best.values()].map((r) => ({ engine: r.engine, threads: r.threads, median_ms: r.median_ms, samples_per_s: r.samples_per_s }));
  const torch = rows.find((r) => r.engine === 'pytorch');
  const command = `node --import tsx bench/train-speed.ts ${process.argv.slice(2).join(' ')}`.trim();
  const out = resolve(repoRoot, args.out as string);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, `${JSON.stringify(rows, null, 2)}\n`);
  const lines = [
    '# Training speed', '', `Command: \`${command}\``, '',
    `One step of libs/divblurring's trainer: the report's network, batch ${batch} of ${args.patch}², ${args.psf}×${args.psf} PSF, Adam.`,
    `Engines alternate over ${args.rounds} rounds; each figure is the engine's best round median (${args.steps} steps, wasm ${args['wasm-steps']}).`,
    `Machine: ${availableParallelism()} cores; measured ${new Date().toISOString()}.`, '',
    '| engine | threads | median ms/step | samples/s | vs PyTorch |', '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.engine} | ${r.threads} | ${r.median_ms} | ${r.samples_per_s} | ${torch ? `${(r.median_ms / torch.median_ms).toFixed(2)}×` : 'n/a'} |`), '',
  ];
  writeFileSync(`${out}.md`, lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
