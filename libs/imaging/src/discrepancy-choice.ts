/**
 * Choosing λ of a sweep without ground truth, by Morozov's discrepancy principle (V. A. Morozov, "On the solution of
 * functional equations by the method of regularization", Soviet Math. Dokl. 7 (1966) 414–417; Engl, Hanke & Neubauer,
 * "Regularization of Inverse Problems", 1996, §4.3): an estimate should explain the data to the noise level and no
 * further, D = ‖A x̂ − y‖² / (N σ²) ≈ 1 (χ²/N with a Poisson–Gaussian model; `dataFitDiscrepancy`). Over a finite
 * sweep of trained estimates the one whose D is closest to 1, |D − 1| smallest, is chosen; a tie goes to the larger λ
 * (the more regularised estimate, as Morozov's rule takes the largest parameter that still meets the noise level).
 * One definition: the API's compare report and bench/lambda-choice.ts both call it.
 */

/** One trained estimate of a sweep: its λ and its held-out discrepancy (null or NaN: not evaluated, ignored). */
export interface DiscrepancyCandidate {
  readonly lambda: number;
  readonly discrepancy: number | null;
}

export interface DiscrepancyChoice<C extends DiscrepancyCandidate> {
  readonly rule: 'discrepancy_principle';
  /** The chosen candidate; null when none has a finite discrepancy. */
  readonly chosen: C | null;
  /** |D − 1| of the chosen candidate. */
  readonly distance: number | null;
  /** The candidates the rule weighed (finite discrepancy), by λ. */
  readonly weighed: readonly C[];
  /** Whether D changes sides of 1 within the sweep: false means the sweep may not reach the noise level (extend it). */
  readonly bracketed: boolean;
}

export const DISCREPANCY_TARGET = 1;

export function chooseByDiscrepancy<C extends DiscrepancyCandidate>(candidates: readonly C[]): DiscrepancyChoice<C> {
  const weighed = candidates
    .filter((c) => c.discrepancy !== null && Number.isFinite(c.discrepancy) && c.discrepancy >= 0)
    .sort((a, b) => a.lambda - b.lambda);
  let chosen: C | null = null;
  let distance = Infinity;
  for (const candidate of weighed) {
    const d = Math.abs((candidate.discrepancy as number) - DISCREPANCY_TARGET);
    if (d < distance || (d === distance && chosen !== null && candidate.lambda > chosen.lambda)) {
      chosen = candidate;
      distance = d;
    }
  }
  const below = weighed.some((c) => (c.discrepancy as number) <= DISCREPANCY_TARGET);
  const above = weighed.some((c) => (c.discrepancy as number) >= DISCREPANCY_TARGET);
  return { rule: 'discrepancy_principle', chosen, distance: chosen === null ? null : distance, weighed, bracketed: below && above };
}
