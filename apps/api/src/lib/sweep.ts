/** Expands an experiment spec and its sweep to the cartesian product of resolved runs. */
import type { ExperimentSpec, RunParams, Sweep } from '../schemas/experiment-spec.ts';
import { BadRequestError } from './errors.ts';

export const SPEC_DEFAULTS = {
  method: 'divblurring', penalty: 'none', lambda: 0, kappa: 0, noiseSigma: 'estimate',
} as const;

/** Number of runs a sweep expands to: the product of its list lengths (1 for no sweep). */
export function sweepSize(sweep: Sweep | undefined): number {
  if (!sweep) return 1;
  return Object.values(sweep).reduce((product, list) => product * (list?.length ?? 1), 1);
}

export function expandSweep(spec: ExperimentSpec, sweep: Sweep | undefined, maxRuns: number): RunParams[] {
  const size = sweepSize(sweep);
  if (size > maxRuns) {
    throw new BadRequestError('SWEEP_TOO_LARGE', `the sweep expands to ${size} runs; at most ${maxRuns} are allowed per experiment`);
  }
  if (spec.training.steps === undefined && spec.training.minutes === undefined) {
    throw new BadRequestError('TRAINING_BUDGET_MISSING', 'spec.training needs steps or minutes');
  }
  const base: RunParams = {
    method: spec.method ?? SPEC_DEFAULTS.method,
    penalty: spec.penalty ?? SPEC_DEFAULTS.penalty,
    lambda: spec.lambda ?? SPEC_DEFAULTS.lambda,
    kappa: spec.kappa ?? SPEC_DEFAULTS.kappa,
    noiseSigma: spec.noiseSigma ?? SPEC_DEFAULTS.noiseSigma,
    network: { ...spec.network },
    training: { ...spec.training },
  };
  let runs: RunParams[] = [base];
  runs = product(runs, sweep?.method, (run, method) => ({ ...run, method }));
  runs = product(runs, sweep?.penalty, (run, penalty) => ({ ...run, penalty }));
  runs = product(runs, sweep?.lambda, (run, lambda) => ({ ...run, lambda }));
  runs = product(runs, sweep?.kappa, (run, kappa) => ({ ...run, kappa }));
  runs = product(runs, sweep?.seed, (run, seed) => ({ ...run, training: { ...run.training, seed } }));
  return runs;
}

function product<T>(runs: RunParams[], values: readonly T[] | undefined, apply: (run: RunParams, value: T) => RunParams): RunParams[] {
  if (!values) return runs;
  return runs.flatMap((run) => values.map((value) => apply(run, value)));
}
