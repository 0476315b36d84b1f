import {
  estimateStackNoiseSigma, imagesOf, richardsonLucy, richardsonLucyByDiscrepancy, toStack, wiener, wienerByDiscrepancy,
  writeImageFile, ParameterError,
} from '@divblur/imaging';
import type { Image, NegativeHandling } from '@divblur/imaging';
import { readPsf, readStack } from '../files.ts';
import { createProgress } from '@divblur/terminal';

export interface BaselineArgs {
  in: string; psf: string; out: string; method: string;
  iterations?: number; balance?: number; sigma?: number; negatives: string;
}

/** RL or Wiener on every image of a stack; unset parameters are chosen per image by the discrepancy principle. */
export async function baselineCommand(args: BaselineArgs): Promise<void> {
  if (args.method !== 'rl' && args.method !== 'wiener') {
    throw new ParameterError('UNKNOWN_METHOD', `unknown method '${args.method}': use rl or wiener`);
  }
  if (args.negatives !== 'shift' && args.negatives !== 'clip') {
    throw new ParameterError('RL_NEGATIVES', `--negatives must be shift or clip, got '${args.negatives}'`);
  }
  const negatives = args.negatives as NegativeHandling;
  const [{ stack, rank }, psf] = await Promise.all([readStack(args.in), readPsf(args.psf)]);
  const fixed = args.method === 'rl' ? args.iterations : args.balance;
  const noiseSigma = fixed === undefined ? (args.sigma ?? estimateStackNoiseSigma(stack)) : undefined;
  const progress = createProgress(args.method === 'rl' ? 'Richardson–Lucy' : 'Wiener', stack.count, '{parameter}');
  const chosen: number[] = [];
  const estimates = imagesOf(stack).map((image, i): Image => {
    const { estimate, parameter } = solve(args.method as 'rl' | 'wiener', image, psf, fixed, noiseSigma, negatives);
    chosen.push(parameter);
    progress.update(i + 1, { parameter: args.method === 'rl' ? `iterations ${parameter}` : `balance ${parameter.toExponential(2)}` });
    return estimate;
  });
  progress.stop();
  await writeImageFile(args.out, toStack(estimates), { rank });
  const how = fixed === undefined ? `chosen by the discrepancy principle (σ ${noiseSigma!.toPrecision(3)}${args.sigma === undefined ? ', estimated' : ''})` : 'given';
  process.stdout.write(`wrote ${args.out}; ${args.method === 'rl' ? 'iterations' : 'balance'} per image ${how}: ${chosen.map((p) => +p.toPrecision(3)).join(', ')}\n`);
}

function solve(method: 'rl' | 'wiener', image: Image, psf: Image, fixed: number | undefined, noiseSigma: number | undefined, negatives: NegativeHandling) {
  if (method === 'rl') {
    if (fixed !== undefined) return { estimate: richardsonLucy(image, psf, { iterations: fixed, negatives }).estimate, parameter: fixed };
    const result = richardsonLucyByDiscrepancy(image, psf, { noiseSigma: noiseSigma!, negatives });
    return { estimate: result.estimate, parameter: result.iterations };
  }
  if (fixed !== undefined) return { estimate: wiener(image, psf, fixed), parameter: fixed };
  const result = wienerByDiscrepancy(image, psf, { noiseSigma: noiseSigma! });
  return { estimate: result.estimate, parameter: result.balance };
}
