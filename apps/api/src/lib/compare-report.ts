/**
 * GET /v1/experiments/:id/compare without the HTTP: the experiment's sweep table and its dataset's
 * baselines (compare.ts), the GT-free recommendation per group (libs/imaging's discrepancy principle over the
 * group's evaluated runs), and that report as CSV or as an SVG plot (one line per group, the
 * baselines as horizontal lines); as JSON it is the report itself.
 */
import type { Repositories, RunRecord } from '@divblur/db';
import { chooseByDiscrepancy, DISCREPANCY_TARGET } from '@divblur/imaging';
import {
  baselineRows, compareTable, groupOf, METRIC_OF, type BaselineRow, type CompareGroup, type CompareMetric, type CompareRow, type CompareX, type RunEvaluations,
} from './compare.ts';
import { toCsv } from '@divblur/terminal';
import { NotFoundError } from './errors.ts';
import { linePlotSvg } from '../svg/line-plot.ts';

export interface CompareOptions { x: CompareX; metric: CompareMetric; groupBy: CompareGroup }

/** One weighed run: its λ, its x, its held-out discrepancy ‖A x̂ − y‖²/(Nσ²) and the report's metric. */
export interface RecommendationCandidate { runId: string; lambda: number; x: number; discrepancy: number; value: number | null }

/** The run of a group the data alone supports (no ground truth): its discrepancy is the closest to 1. */
export interface Recommendation {
  group: string; rule: 'discrepancy_principle'; target: number;
  /** Null when no run of the group has been evaluated yet. */
  runId: string | null; lambda: number | null; x: number | null; discrepancy: number | null; distance: number | null; value: number | null;
  /** False: every discrepancy lies on one side of 1, the sweep may not reach the noise level. */
  bracketed: boolean;
  candidates: RecommendationCandidate[];
}

export interface CompareReport extends CompareOptions {
  experimentId: string; rows: CompareRow[]; baselines: BaselineRow[]; recommendations: Recommendation[];
}

/** Every run of the experiment (in creation order) and the dataset's baselines; a 404 for an unknown experiment. */
export async function compareReport(db: Repositories, experimentId: string, { x, metric, groupBy }: CompareOptions): Promise<CompareReport> {
  const experiment = await db.experiments.get(experimentId);
  if (!experiment) throw new NotFoundError('experiment', experimentId);
  const runs = await db.runs.page({ filter: { experimentId: experiment.id }, sort: 'created', descending: false, limit: 10_000 });
  const evaluations = await db.metrics.latestOfRuns(runs.map((run) => run.id));
  const rows = compareTable(runs, x, metric, groupBy, evaluations);
  const baselines = baselineRows(await db.baselines.list(experiment.datasetId), metric);
  return { experimentId: experiment.id, x, metric, groupBy, rows, baselines, recommendations: recommend(runs, { x, metric, groupBy }, evaluations) };
}

/** Per group (in the table's order), the discrepancy principle over its evaluated runs. */
export function recommend(runs: readonly RunRecord[], { x, metric, groupBy }: CompareOptions, evaluations: RunEvaluations): Recommendation[] {
  const groups = new Map<string, RecommendationCandidate[]>();
  for (const run of runs) {
    const group = groupOf(run, groupBy);
    const list = groups.get(group) ?? [];
    groups.set(group, list);
    const discrepancy = evaluations.get(run.id)?.discrepancy ?? null;
    if (discrepancy === null) continue;
    list.push({ runId: run.id, lambda: run.lambda, x: x === 'seed' ? run.seed : run[x], discrepancy, value: METRIC_OF[metric](run, evaluations) });
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([group, candidates]) => {
    const choice = chooseByDiscrepancy(candidates);
    const chosen = choice.chosen;
    return {
      group, rule: choice.rule, target: DISCREPANCY_TARGET, runId: chosen?.runId ?? null, lambda: chosen?.lambda ?? null, x: chosen?.x ?? null,
      discrepancy: chosen?.discrepancy ?? null, distance: choice.distance, value: chosen?.value ?? null, bracketed: choice.bracketed, candidates: [...choice.weighed],
    };
  });
}

export function compareCsv({ x, metric, rows, baselines, recommendations }: CompareReport): string {
  const table = [
    ...rows.map((r) => ({ kind: 'run', group: r.group, [x]: r.x, [metric]: r.value, runs: r.runs, finished: r.finished })),
    ...baselines.map((b) => ({ kind: 'baseline', group: b.method, [x]: null, [metric]: b.value, runs: null, finished: null })),
    ...recommendations.filter((r) => r.runId !== null).map((r) => ({ kind: 'recommended', group: r.group, [x]: r.x, [metric]: r.value, runs: 1, finished: 1 })),
  ];
  return toCsv(['kind', 'group', x, metric, 'runs', 'finished'], table);
}

export function compareSvg({ experimentId, x, metric, groupBy, rows, baselines }: CompareReport): string {
  const groups = [...new Set(rows.map((r) => r.group))];
  const series = groups.map((group) => ({
    name: groupBy === 'none' ? metric : `${groupBy}=${group}`,
    points: rows.filter((r) => r.group === group && r.value !== null).map((r) => [r.x, r.value as number] as const),
  }));
  return linePlotSvg({
    title: `${metric} vs ${x}, experiment ${experimentId.slice(0, 8)}`, xLabel: x, yLabel: metric === 'ssim' ? 'SSIM' : `${metric} (dB)`,
    logX: x !== 'seed', series,
    horizontalLines: baselines.filter((b) => b.value !== null).map((b) => ({ name: b.method, y: b.value as number })),
  });
}
