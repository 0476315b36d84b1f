/**
 * GET /v1/experiments/:id/compare without the HTTP: the experiment's sweep table and its dataset's
 * baselines (compare.ts), and that report as CSV or as an SVG plot (one line per group, the
 * baselines as horizontal lines); as JSON it is the report itself.
 */
import type { Repositories } from '@divblur/db';
import { baselineRows, compareTable, type BaselineRow, type CompareGroup, type CompareMetric, type CompareRow, type CompareX } from './compare.ts';
import { toCsv } from '@divblur/terminal';
import { NotFoundError } from './errors.ts';
import { linePlotSvg } from '../svg/line-plot.ts';

export interface CompareOptions { x: CompareX; metric: CompareMetric; groupBy: CompareGroup }
export interface CompareReport extends CompareOptions { experimentId: string; rows: CompareRow[]; baselines: BaselineRow[] }

/** Every run of the experiment (in creation order) and the dataset's baselines; a 404 for an unknown experiment. */
export async function compareReport(db: Repositories, experimentId: string, { x, metric, groupBy }: CompareOptions): Promise<CompareReport> {
  const experiment = await db.experiments.get(experimentId);
  if (!experiment) throw new NotFoundError('experiment', experimentId);
  const runs = await db.runs.page({ filter: { experimentId: experiment.id }, sort: 'created', descending: false, limit: 10_000 });
  const rows = compareTable(runs, x, metric, groupBy);
  const baselines = baselineRows(await db.baselines.list(experiment.datasetId), metric);
  return { experimentId: experiment.id, x, metric, groupBy, rows, baselines };
}

export function compareCsv({ x, metric, rows, baselines }: CompareReport): string {
  const table = [
    ...rows.map((r) => ({ kind: 'run', group: r.group, [x]: r.x, [metric]: r.value, runs: r.runs, finished: r.finished })),
    ...baselines.map((b) => ({ kind: 'baseline', group: b.method, [x]: null, [metric]: b.value, runs: null, finished: null })),
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
