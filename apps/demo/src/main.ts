/**
 * `npm run demo`: the demo program. By default the service end to end (service-demo.ts); `--classical`
 * the imaging-only demo (classical-demo.ts). Ctrl-C cancels the experiment and stops the services.
 */
import { Command } from 'commander';
import { ImagingError } from '@divblur/imaging';
import { nonNegativeInteger, positiveInteger } from '@divblur/terminal';
import { classicalDemo } from './classical-demo.ts';
import { DEMO_DEFAULTS, runServiceDemo } from './service-demo.ts';

interface DemoArgs { classical: boolean; count?: number; seed: number; out: string; steps?: number; database: string }

async function demo(args: DemoArgs): Promise<void> {
  if (args.classical) return classicalDemo({ count: args.count ?? 8, seed: args.seed, out: args.out });
  const controller = new AbortController();
  const onInterrupt = () => {
    process.stderr.write('\ninterrupted: cancelling the experiment and stopping the services…\n');
    controller.abort();
  };
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  try {
    await runServiceDemo({
      ...DEMO_DEFAULTS, out: args.out, database: args.database, seed: args.seed, signal: controller.signal,
      images: args.count ?? DEMO_DEFAULTS.images, training: { ...DEMO_DEFAULTS.training, ...(args.steps ? { steps: args.steps } : {}) },
    });
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    process.exitCode = 130;
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

const program = new Command('demo')
  .description('the service end to end: migrate, start the API, trainer and inference worker, run a 4-run λ sweep '
    + 'through the HTTP API, print the comparison table with the RL/Wiener baselines, save its SVG plot')
  .option('--classical', 'instead: the imaging-only demo (simulate dataset1, Richardson–Lucy and Wiener PSNR table), no services', false)
  .option('--count <n>', 'images of the synthetic dataset (service: 40, a fifth held out; classical: 8 test images)', positiveInteger)
  .option('--steps <n>', `training steps per run (default ${DEMO_DEFAULTS.training.steps})`, positiveInteger)
  .option('--seed <n>', 'random seed', nonNegativeInteger, 1)
  .option('--out <dir>', 'where to write the files (logs, blobs, the plot)', DEMO_DEFAULTS.out)
  .option('--database <name>', 'Postgres database of the demo, created if missing', DEMO_DEFAULTS.database)
  .showHelpAfterError()
  .action(demo);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // The classical demo's typed errors say what is wrong (as in the CLI: exit code 2); anything else is a bug.
  if (error instanceof ImagingError) {
    process.stderr.write(`demo: ${error.message}${'code' in error ? ` [${String(error.code)}]` : ''}\n`);
    process.exit(2);
  }
  throw error;
}
