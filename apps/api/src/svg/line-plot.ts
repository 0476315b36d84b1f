/**
 * A line plot as SVG: one polyline per series, optional horizontal reference lines (the
 * classical baselines), axes with ticks, a legend. x may be log10 (λ sweeps span decades).
 */
import { element, polyline, svgDocument } from './svg-writer.ts';
import { formatTick, linearScale, logScale, type Scale } from './scale.ts';

export interface Series { name: string; points: ReadonlyArray<readonly [number, number]> }
export interface HorizontalLine { name: string; y: number }

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  logX: boolean;
  series: readonly Series[];
  horizontalLines?: readonly HorizontalLine[];
  width?: number;
  height?: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 70, right: 170, top: 40, bottom: 50 };

export function linePlotSvg(plot: LinePlot): string {
  const width = plot.width ?? 720;
  const height = plot.height ?? 420;
  const lines = plot.horizontalLines ?? [];
  // On a log axis, x ≤ 0 (λ = 0, "no penalty") has no place: those points are left out.
  const series = plot.series.map((s) => ({
    ...s, points: s.points.filter(([x, y]) => Number.isFinite(y) && Number.isFinite(x) && (!plot.logX || x > 0)),
  }));
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = [...series.flatMap((s) => s.points.map(([, y]) => y)), ...lines.map((l) => l.y)].filter(Number.isFinite);
  const x0 = MARGIN.left, x1 = width - MARGIN.right, y0 = height - MARGIN.bottom, y1 = MARGIN.top;
  const children: string[] = [
    element('rect', { x: 0, y: 0, width, height, fill: 'white' }),
    element('text', { x: width / 2 - MARGIN.right / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15 }, plot.title),
  ];
  if (xs.length === 0 && ys.length === 0) {
    children.push(element('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'no data yet'));
    return svgDocument(width, height, children);
  }
  const xMin = xs.length ? Math.min(...xs) : 1, xMax = xs.length ? Math.max(...xs) : 1;
  const xScale = plot.logX ? logScale(xMin, xMax, x0, x1) : linearScale(xMin, xMax, x0, x1);
  const yScale = linearScale(Math.min(...ys), Math.max(...ys), y0, y1);
  children.push(...axes(xScale, yScale, { x0, x1, y0, y1 }, plot));
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pixels = s.points.map(([x, y]) => [xScale.map(x), yScale.map(y)] as const);
    children.push(polyline(pixels, { stroke: colour, 'stroke-width': 2, 'data-series': s.name }));
    for (const [px, py] of pixels) children.push(element('circle', { cx: px, cy: py, r: 3, fill: colour }));
    children.push(...legendEntry(i, s.name, colour, x1, y1, false));
  });
  lines.forEach((line, j) => {
    const colour = '#555555';
    const py = yScale.map(line.y);
    children.push(element('line', { x1: x0, x2: x1, y1: py, y2: py, stroke: colour, 'stroke-dasharray': '6 4', 'data-baseline': line.name }));
    children.push(...legendEntry(series.length + j, `${line.name} ${line.y.toFixed(2)}`, colour, x1, y1, true));
  });
  return svgDocument(width, height, children);
}

function axes(xScale: Scale, yScale: Scale, box: { x0: number; x1: number; y0: number; y1: number }, plot: LinePlot): string[] {
  const { x0, x1, y0, y1 } = box;
  const out = [
    element('line', { x1: x0, x2: x1, y1: y0, y2: y0, stroke: 'black' }),
    element('line', { x1: x0, x2: x0, y1: y0, y2: y1, stroke: 'black' }),
    element('text', { x: (x0 + x1) / 2, y: y0 + 38, 'text-anchor': 'middle' }, plot.logX ? `${plot.xLabel} (log scale)` : plot.xLabel),
    element('text', { x: 16, y: (y0 + y1) / 2, 'text-anchor': 'middle', transform: `rotate(-90 16 ${(y0 + y1) / 2})` }, plot.yLabel),
  ];
  for (const tick of xScale.ticks) {
    const px = xScale.map(tick);
    out.push(element('line', { x1: px, x2: px, y1: y0, y2: y0 + 5, stroke: 'black' }));
    out.push(element('text', { x: px, y: y0 + 18, 'text-anchor': 'middle' }, formatTick(tick)));
  }
  for (const tick of yScale.ticks) {
    const py = yScale.map(tick);
    out.push(element('line', { x1: x0 - 5, x2: x0, y1: py, y2: py, stroke: 'black' }));
    out.push(element('line', { x1: x0, x2: x1, y1: py, y2: py, stroke: '#eeeeee' }));
    out.push(element('text', { x: x0 - 8, y: py + 4, 'text-anchor': 'end' }, formatTick(tick)));
  }
  return out;
}

function legendEntry(index: number, name: string, colour: string, x1: number, y1: number, dashed: boolean): string[] {
  const y = y1 + 10 + index * 18;
  return [
    element('line', { x1: x1 + 12, x2: x1 + 36, y1: y, y2: y, stroke: colour, 'stroke-width': 2, 'stroke-dasharray': dashed ? '6 4' : undefined }),
    element('text', { x: x1 + 42, y: y + 4 }, name),
  ];
}
