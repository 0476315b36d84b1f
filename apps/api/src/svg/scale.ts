/** Axis scales for the plots: linear and log10, with "nice" tick values. */

export interface Scale {
  /** Data value → pixel. */
  map(value: number): number;
  ticks: number[];
  log: boolean;
}

export function linearScale(min: number, max: number, fromPx: number, toPx: number): Scale {
  if (min === max) { min -= 0.5; max += 0.5; }
  const ticks = niceTicks(min, max, 5);
  const lo = Math.min(min, ticks[0]);
  const hi = Math.max(max, ticks[ticks.length - 1]);
  return { map: (v) => fromPx + ((v - lo) / (hi - lo)) * (toPx - fromPx), ticks, log: false };
}

/** Log10 scale over positive values; ticks at the decades (and the ends when under one decade). */
export function logScale(min: number, max: number, fromPx: number, toPx: number): Scale {
  if (!(min > 0) || !(max > 0)) throw new RangeError(`a log scale needs positive bounds, got [${min}, ${max}]`);
  let lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (lo === hi) { lo -= 1; hi += 1; }
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) ticks.push(Number(`1e${e}`)); // 10 ** -4 is 9.999…e-5
  return { map: (v) => fromPx + ((Math.log10(v) - lo) / (hi - lo)) * (toPx - fromPx), ticks, log: true };
}

/** Tick values at 1, 2 or 5 × 10^k spacing covering [min, max] with about `count` ticks. */
export function niceTicks(min: number, max: number, count: number): number[] {
  const rawStep = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rawStep) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  return abs >= 1e4 || abs < 1e-3 ? value.toExponential(0) : String(Number(value.toPrecision(4)));
}
