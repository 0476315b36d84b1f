/** Expands an experiment spec and its sweep to the cartesian product of resolved runs. */
import { RunParamsError, resolveSpec, type ExperimentSpec, type RunParams, type Sweep } from '@divblur/queue';
import { BadRequestError } from './errors.ts';

/** Number of runs a sweep expands to: the product of its list lengths (1 for no sweep). */
export function sweepSize(sweep: Sweep | undefined): number {
  if (!sweep) return 1;
  return Object.values(sweep).reduce((product, list) => product * (list?.length ?? 1), 1);
}

/** The runs of a spec and sweep, each resolved (defaults filled, checked as libs/queue's `resolveSpec` does). */
export function expandSweep(spec: ExperimentSpec, sweep: Sweep | undefined, maxRuns: number): RunParams[] {
  const size = sweepSize(sweep);
  if (size > maxRuns) {
    throw new BadRequestError('SWEEP_TOO_LARGE', `the sweep expands to ${size} runs; at most ${maxRuns} are allowed per experiment`);
  }
  let base: RunParams;
  try {
    base = resolveSpec(spec);
  } catch (error) {
    if (error instanceof RunParamsError) throw new BadRequestError(error.code, `spec: ${error.message}`);
    throw error;
  }
  let runs: RunParams[] = [base];
  runs = product(runs, sweep?.method, (run, method) => ({ ...run, method }));
  runs = product(runs, sweep?.penalty, (run, penalty) => ({ ...run, penalty }));
  runs = product(runs, sweep?.lambda, (run, lambda) => ({ ...run, lambda }));
  runs = product(runs, sweep?.kappa, (run, kappa) => ({ ...run, kappa }));
  runs = product(runs, sweep?.seed, (run, seed) => ({ ...run, training: { ...run.training, seed } }));
  // No two runs share a nested object: the rows are written from these.
  return runs.map((run) => ({ ...run, network: { ...run.network, filters: [...run.network.filters] }, training: { ...run.training } }));
}

function product<T>(runs: RunParams[], values: readonly T[] | undefined, apply: (run: RunParams, value: T) => RunParams): RunParams[] {
  if (!values) return runs;
  return runs.flatMap((run) => values.map((value) => apply(run, value)));
}
