/**
 * The sweep table of an experiment: one row per (group, x), the metric averaged over the runs
 * that share them (seeds), plus the dataset's classical baselines as reference rows.
 */
import type { BaselineRecord, MetricRecord, RunRecord } from '@divblur/db';

export const COMPARE_X = ['lambda', 'kappa', 'seed'] as const;
/** psnr_mmse, psnr_samples, ssim need ground truth; discrepancy and mean_std (the GT-free figures) do not. */
export const COMPARE_METRICS = ['psnr_mmse', 'psnr_samples', 'ssim', 'discrepancy', 'mean_std'] as const;
export const COMPARE_GROUPS = ['penalty', 'method', 'kappa', 'lambda', 'seed', 'none'] as const;
export type CompareX = typeof COMPARE_X[number];
export type CompareMetric = typeof COMPARE_METRICS[number];
export type CompareGroup = typeof COMPARE_GROUPS[number];

export interface CompareRow { group: string; x: number; value: number | null; runs: number; finished: number; runIds: string[] }
export interface BaselineRow { method: string; value: number | null }

/** A run's latest evaluation (metrics.latestOfRuns): the GT-free figures are kept only on Metric rows. */
export type RunEvaluations = ReadonlyMap<string, Pick<MetricRecord, 'discrepancy' | 'meanStd'>>;

export const METRIC_OF: Record<CompareMetric, (run: RunRecord, evaluations: RunEvaluations) => number | null> = {
  psnr_mmse: (r) => r.psnrMmse, psnr_samples: (r) => r.psnrSamples, ssim: (r) => r.ssim,
  discrepancy: (r, e) => e.get(r.id)?.discrepancy ?? null, mean_std: (r, e) => e.get(r.id)?.meanStd ?? null,
};

function fieldOf(run: RunRecord, field: CompareX | Exclude<CompareGroup, 'none'>): number | string {
  return field === 'seed' ? run.seed : run[field];
}

export function groupOf(run: RunRecord, groupBy: CompareGroup): string {
  return groupBy === 'none' ? 'all' : String(fieldOf(run, groupBy));
}

export function compareTable(runs: readonly RunRecord[], x: CompareX, metric: CompareMetric, groupBy: CompareGroup, evaluations: RunEvaluations = new Map()): CompareRow[] {
  const cells = new Map<string, { group: string; x: number; values: number[]; runIds: string[] }>();
  for (const run of runs) {
    const group = groupOf(run, groupBy);
    const xValue = Number(fieldOf(run, x));
    const id = `${group}\u0000${xValue}`;
    const cell = cells.get(id) ?? { group, x: xValue, values: [], runIds: [] };
    const value = METRIC_OF[metric](run, evaluations);
    if (value !== null && Number.isFinite(value)) cell.values.push(value);
    cell.runIds.push(run.id);
    cells.set(id, cell);
  }
  return [...cells.values()]
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.x - b.x))
    .map((c) => ({
      group: c.group, x: c.x, runs: c.runIds.length, finished: c.values.length, runIds: c.runIds,
      value: c.values.length ? c.values.reduce((s, v) => s + v, 0) / c.values.length : null,
    }));
}

/**
 * Baselines carry one PSNR and SSIM per method (mean over image sets); psnr_samples compares to PSNR. They have no
 * discrepancy or posterior std recorded: none for those metrics.
 */
export function baselineRows(baselines: readonly BaselineRecord[], metric: CompareMetric): BaselineRow[] {
  if (metric === 'discrepancy' || metric === 'mean_std') return [];
  const byMethod = new Map<string, number[]>();
  for (const b of baselines) {
    const value = metric === 'ssim' ? b.ssim : b.psnr;
    const list = byMethod.get(b.method) ?? [];
    if (value !== null) list.push(value);
    byMethod.set(b.method, list);
  }
  return [...byMethod.entries()].map(([method, values]) => ({
    method, value: values.length ? values.reduce((s, v) => s + v, 0) / values.length : null,
  }));
}
