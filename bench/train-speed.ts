// Training speed: ms per step of libs/divblurring's trainer (the report's network, batch 32 of 64²,
// 11×11 PSF valid-mode data term + KL, Adam) on each engine that loads here, and PyTorch's reference step
// (bench/torch_train_step.py) in the same run. Engines alternate over rounds so that all see
// the same machine load; each engine's figure is its best round median.
//   node --import tsx bench/train-speed.ts [--rounds 3] [--steps 12] [--wasm-steps 3] [--engines pytorch,native,...]
//   node --import tsx bench/train-speed.ts --engine native --profile    (one engine, per-kernel profile)
// native-unfused is the native engine without libs/tfjs-native's fused kernels (relu + bias backward, Adam) and without
// libs/divblurring's fused conv + bias + relu: what those bought, in the same run.
// native-dp / native-dp-bf16b / native-dp-bf16: the data-parallel layout trainModel uses by default (one shard per core,
// 1 thread each) with f32 convolutions, bf16 in the backward passes only, or bf16 in every pass; native-bf16: one shard with
// every core's oneDNN threads and bf16 convolutions.
// Writes bench/results/train-speed.json ({ command, goals, rows { engine, shards, best_round_ms, median_ms, rounds_ms } }) and .md.
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
  engine: { type: 'string' }, engines: { type: 'string', default: 'pytorch,native-dp,native-dp-bf16b,native-dp-bf16,pytorch-same-network,native,native-bf16,native-1t,native-unfused,wasm' },
  rounds: { type: 'string', default: '3' }, steps: { type: 'string', default: '12' },
  'wasm-steps': { type: 'string', default: '3' }, warmup: { type: 'string', default: '2' },
  batch: { type: 'string', default: '32' }, patch: { type: 'string', default: '64' }, psf: { type: 'string', default: '11' },
  profile: { type: 'boolean', default: false }, out: { type: 'string', default: 'bench/results/train-speed' },
} });

interface Row { engine: string; threads: number; shards?: number; median_ms: number; samples_per_s: number; min_ms?: number; steps?: number }

const batch = Number(args.batch);

/** native…-bf16 → bf16 convolutions, native…-bf16b → bf16 in the backward passes only, else f32. */
function precisionOf(engine: string): 'f32' | 'bf16' | 'bf16-backward' {
  if (engine.endsWith('-bf16b')) return 'bf16-backward';
  return engine.includes('bf16') ? 'bf16' : 'f32';
}

/** One engine in this process: builds the trainer, times `steps` steps after `warmup`, prints a JSON row. */
async function runEngine(engine: string): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { createLayoutTrainer, createTrainer, initBackend, trainHyperparameters } = await import('@divblur/divblurring');
  let threads = 1;
  let shards = 1;
  const dataParallel = engine.startsWith('native-dp');
  if (dataParallel) {
    // The product's default layout (libs/divblurring train.ts createLayoutTrainer): one shard per core, 1 thread each.
    const loaded = await initBackend('native', undefined, { convPrecision: precisionOf(engine) }).catch(() => null);
    if (!loaded) { console.log(JSON.stringify({ engine, unavailable: true })); return; }
  } else if (engine.startsWith('native')) {
    const { tryLoadNativeBackend } = await import('../libs/divblurring/src/native-backend.ts');
    const loaded = await tryLoadNativeBackend({ threads: engine.endsWith('-1t') ? 1 : undefined,
      convPrecision: precisionOf(engine) });
    if (!loaded) { console.log(JSON.stringify({ engine, unavailable: true })); return; }
    threads = loaded.threads;
    if (engine === 'native-unfused') {
      // The step as it was before the fused kernels: conv, bias Add and Relu apart, Step·dy and Sum backward, Adam in ten ops.
      (await import('@divblur/divblurring')).useFusedConvolutions(false);
      const { ADAM_UPDATE, CONV_RELU_BACKPROP, RELU_BIAS_BACKPROP } = await import('@divblur/tfjs-native');
      for (const name of [ADAM_UPDATE, CONV_RELU_BACKPROP, RELU_BIAS_BACKPROP]) tf.unregisterKernel(name, 'cpu');
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
  // Garbage collection during the timed steps (the profile's "GC" line): V8's gc performance entries.
  let gcMs = 0;
  let timing = false;
  const { PerformanceObserver } = await import('node:perf_hooks');
  const gcObserver = args.profile ? new PerformanceObserver((list) => { if (timing) for (const e of list.getEntries()) gcMs += e.duration; }) : null;
  gcObserver?.observe({ entryTypes: ['gc'] });
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) { profiler?.reset(); timing = true; }
    const data = trainer.nextBatch();
    const started = performance.now();
    trainer.train(data);
    if (i >= warmup) times.push(performance.now() - started);
  }
  if (profiler) {
    const rows = profiler.report();
    const total = rows.reduce((a, r) => a + r.totalMs, 0);
    await new Promise((done) => setTimeout(done, 50)); // the last gc entries arrive asynchronously
    gcObserver?.disconnect();
    const perStep = times.reduce((a, b) => a + b, 0) / steps;
    console.error(`per step: ${perStep.toFixed(1)} ms, in kernels ${(total / steps).toFixed(1)} ms, GC ${(gcMs / steps).toFixed(1)} ms, `
      + `elsewhere (tfjs engine, tape, JS) ${(perStep - total / steps - gcMs / steps).toFixed(1)} ms`);
    // Which kernels are the addon's (oneDNN / OpenMP) and which are tfjs's own JavaScript ones (one thread).
    const native = new Set((await import('@divblur/tfjs-native')).registerNativeKernels()?.kernelNames ?? []);
    for (const r of rows.slice(0, 30)) {
      console.error(`${r.kernelName.padEnd(24)} ${(native.has(r.kernelName) ? 'native' : 'tfjs JS').padEnd(8)} ${String(r.calls / steps).padStart(6)} calls ${(r.totalMs / steps).toFixed(2).padStart(9)} ms ${(100 * r.totalMs / total).toFixed(1).padStart(5)} %`);
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
  const rounds = new Map<string, Row[]>();
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const engine of engines) {
      const row = runChild(engine);
      console.error(`round ${round + 1} ${engine}: ${row ? `${row.median_ms} ms/step (${row.threads} threads)` : 'unavailable'}`);
      if (row) rounds.set(engine, [...(rounds.get(engine) ?? []), row]);
    }
  }
  const middle = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const half = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
  };
  // Per engine: the best round's median step and the median over rounds of the rounds' medians.
  const rows = [...rounds.entries()].map(([engine, runs]) => {
    const medians = runs.map((r) => r.median_ms);
    const median = Math.round(middle(medians) * 10) / 10;
    return { engine, threads: runs[0].threads, shards: runs[0].shards ?? 1, best_round_ms: Math.min(...medians), median_ms: median,
      rounds_ms: medians, samples_per_s: Math.round((batch * 1000 / median) * 10) / 10 };
  });
  const find = (name: string) => rows.find((r) => r.engine === name);
  const torch = find('pytorch');
  const torchSame = find('pytorch-same-network');
  // The product's default engine: the layout trainModel picks on the native engine (data-parallel) with the precision
  // 'auto' picks on this CPU (libs/divblurring native-backend.ts autoConvPrecision).
  const { autoConvPrecision } = await import('../libs/divblurring/src/native-backend.ts');
  const { loadAddon } = await import('@divblur/tfjs-native');
  const precision = autoConvPrecision(loadAddon()?.convBf16Isa() ?? 'none');
  const defaultEngine = ({ f32: 'native-dp', bf16: 'native-dp-bf16', 'bf16-backward': 'native-dp-bf16b' } as const)[precision];
  const chosen = find(defaultEngine);
  const goals = chosen && torch && torchSame ? {
    engine: defaultEngine,
    vs_pytorch_reference: Math.round((chosen.median_ms / torch.median_ms) * 1000) / 1000,
    vs_pytorch_same_network: Math.round((chosen.median_ms / torchSame.median_ms) * 1000) / 1000,
    goal_reference: 0.8, goal_same_network: 0.6,
  } : null;
  const command = `node --import tsx bench/train-speed.ts ${process.argv.slice(2).join(' ')}`.trim();
  const out = resolve(repoRoot, args.out as string);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.json`, `${JSON.stringify({ command, date: new Date().toISOString(), cores: availableParallelism(), default_engine: defaultEngine, goals, rows }, null, 2)}\n`);
  const ratio = (r: { median_ms: number }, to: { median_ms: number } | undefined): string => (to ? `${(r.median_ms / to.median_ms).toFixed(2)}×` : 'n/a');
  const lines = [
    '# Training speed', '', `Command: \`${command}\``, '',
    `One step of libs/divblurring's trainer: the report's network, batch ${batch} of ${args.patch}², ${args.psf}×${args.psf} PSF, Adam.`,
    `Engines alternate over ${args.rounds} rounds (${args.steps} steps each after ${args.warmup} warm-up, wasm ${args['wasm-steps']}); per engine, the median`,
    'step of its best round and the median over rounds of the rounds\' medians; ratios use the latter.',
    `Machine: ${availableParallelism()} cores; measured ${new Date().toISOString()}. The default engine (what trainModel picks): ${defaultEngine}.`, '',
    '| engine | shards × threads | best round ms/step | median ms/step | samples/s | vs PyTorch reference | vs PyTorch same network |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.engine}${r.engine === defaultEngine ? ' (default)' : ''} | ${r.shards > 1 ? `${r.shards} × 1` : `1 × ${r.threads}`} | ${r.best_round_ms} | ${r.median_ms} | ${r.samples_per_s} | ${ratio(r, torch)} | ${ratio(r, torchSame)} |`), '',
    goals ? `Goals (issue 22): default engine ≤ 0.8× PyTorch's reference step: ${goals.vs_pytorch_reference}×; ≤ 0.6× PyTorch on the same network: ${goals.vs_pytorch_same_network}×.` : 'Goals: PyTorch not measured in this run.', '',
  ];
  writeFileSync(`${out}.md`, lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
