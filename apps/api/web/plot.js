// A line plot in SVG, drawn in the browser: one path per series with a circle per point (hover names it, click
// follows it), horizontal reference lines (the classical baselines), marked x values (the recommended λ), linear or
// log-x axes. The same shapes as the API's server-side SVG (apps/api/src/svg/line-plot.ts), for a page that redraws.
const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1f6feb', '#e8590c', '#2f9e44', '#9c36b5', '#c92a2a', '#0b7285', '#5c940d', '#862e9c'];
const BASELINE_COLOURS = ['#495057', '#868e96', '#343a40', '#adb5bd', '#212529'];

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round ticks over [min, max]: 1-2-5 steps (linear) or the decades (log). */
function ticks(min, max, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) out.push(10 ** e);
    return out.filter((t) => t >= min / 1.0001 && t <= max * 1.0001);
  }
  const span = max - min || Math.abs(max) || 1;
  const raw = span / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

export const formatNumber = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–'
  : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString());

/**
 * series: [{ name, points: [{ x, y, label, runIds }] }]; lines: [{ name, y }]; marks: [{ x, y, label }].
 * onHover(text | null, event), onClick(point).
 */
export function linePlot({ series, lines = [], marks = [], logX = false, xLabel = 'x', yLabel = 'y', width = 720, height = 380, title, onHover, onClick }) {
  const margin = { top: title ? 28 : 12, right: 160, bottom: 44, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  const points = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!logX || p.x > 0));
  const ys = [...points.map((p) => p.y), ...lines.map((l) => l.y).filter(Number.isFinite)];
  if (title) svg.append(el('text', { x: margin.left, y: 18, 'font-weight': 600 }, title));
  if (points.length === 0) {
    svg.append(el('text', { x: margin.left + 10, y: margin.top + plotH / 2, class: 'empty' }, 'no values yet'));
    return svg;
  }
  let [xMin, xMax] = [Math.min(...points.map((p) => p.x)), Math.max(...points.map((p) => p.x))];
  if (xMin === xMax) { xMin = logX ? xMin / 2 : xMin - 1; xMax = logX ? xMax * 2 : xMax + 1; }
  let [yMin, yMax] = [Math.min(...ys), Math.max(...ys)];
  const pad = (yMax - yMin) * 0.08 || Math.abs(yMax) * 0.05 || 1;
  yMin -= pad; yMax += pad;
  const sx = (x) => margin.left + (logX ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin)) : (x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;

  const axes = el('g', { class: 'axis' });
  axes.append(el('line', { x1: margin.left, y1: margin.top + plotH, x2: margin.left + plotW, y2: margin.top + plotH }));
  axes.append(el('line', { x1: margin.left, y1: margin.top, x2: margin.left, y2: margin.top + plotH }));
  for (const t of ticks(xMin, xMax, logX)) {
    axes.append(el('line', { x1: sx(t), y1: margin.top + plotH, x2: sx(t), y2: margin.top + plotH + 4 }));
    axes.append(el('text', { x: sx(t), y: margin.top + plotH + 16, 'text-anchor': 'middle' }, formatNumber(t)));
  }
  for (const t of ticks(yMin, yMax, false)) {
    axes.append(el('line', { x1: margin.left - 4, y1: sy(t), x2: margin.left, y2: sy(t) }));
    axes.append(el('text', { x: margin.left - 7, y: sy(t) + 4, 'text-anchor': 'end' }, formatNumber(t)));
  }
  axes.append(el('text', { x: margin.left + plotW / 2, y: height - 8, 'text-anchor': 'middle' }, `${xLabel}${logX ? ' (log)' : ''}`));
  axes.append(el('text', { x: 14, y: margin.top + plotH / 2, 'text-anchor': 'middle', transform: `rotate(-90 14 ${margin.top + plotH / 2})` }, yLabel));
  svg.append(axes);

  let legendY = margin.top + 8;
  const legend = (colour, name, dashed) => {
    svg.append(el('line', { x1: width - margin.right + 12, y1: legendY, x2: width - margin.right + 32, y2: legendY, stroke: colour, 'stroke-width': 2, ...(dashed ? { 'stroke-dasharray': '6 4' } : {}) }));
    svg.append(el('text', { x: width - margin.right + 38, y: legendY + 4 }, name));
    legendY += 17;
  };

  lines.filter((l) => Number.isFinite(l.y)).forEach((line, i) => {
    const colour = BASELINE_COLOURS[i % BASELINE_COLOURS.length];
    const node = el('line', { class: 'baseline', x1: margin.left, x2: margin.left + plotW, y1: sy(line.y), y2: sy(line.y), stroke: colour, 'data-name': line.name });
    node.append(el('title', {}, `${line.name}: ${formatNumber(line.y)}`));
    svg.append(node);
    legend(colour, line.name, true);
  });

  // The marks under the points, so that a point at the recommended λ still answers the pointer.
  for (const mark of marks) {
    if (!Number.isFinite(mark.x) || (logX && mark.x <= 0)) continue;
    const node = el('g', { class: 'recommended', 'data-x': mark.x });
    node.append(el('line', { class: 'recommended-line', x1: sx(mark.x), x2: sx(mark.x), y1: margin.top, y2: margin.top + plotH }));
    if (Number.isFinite(mark.y)) node.append(el('circle', { class: 'recommended-mark', cx: sx(mark.x), cy: sy(mark.y), r: 9 }));
    node.append(el('title', {}, mark.label));
    svg.append(node);
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const shown = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!logX || p.x > 0)).sort((a, b) => a.x - b.x);
    const group = el('g', { class: 'series', 'data-name': s.name });
    if (shown.length > 1) group.append(el('path', { d: shown.map((p, j) => `${j ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(''), stroke: colour }));
    for (const p of shown) {
      // A long curve (a loss) gets small markers: the line is what one reads, the markers are there to hover.
      const circle = el('circle', { class: 'point', cx: sx(p.x), cy: sy(p.y), r: shown.length > 60 ? 1.5 : 5, fill: colour, 'data-run-ids': (p.runIds ?? []).join(' ') });
      circle.append(el('title', {}, p.label));
      circle.addEventListener('mouseenter', (event) => onHover?.(p.label, event));
      circle.addEventListener('mousemove', (event) => onHover?.(p.label, event));
      circle.addEventListener('mouseleave', () => onHover?.(null));
      if (onClick) circle.addEventListener('click', () => onClick(p));
      group.append(circle);
    }
    svg.append(group);
    legend(colour, s.name, false);
  });

  if (marks.length > 0) {
    svg.append(el('line', { x1: width - margin.right + 12, y1: legendY, x2: width - margin.right + 32, y2: legendY, stroke: '#d92d20', 'stroke-dasharray': '3 3', 'stroke-width': 2 }));
    svg.append(el('text', { x: width - margin.right + 38, y: legendY + 4 }, 'recommended λ'));
  }
  return svg;
}
