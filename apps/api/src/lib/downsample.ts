/**
 * Downsamples a loss curve to at most `maxPoints` by averaging each bucket of consecutive
 * points (the step reported is the bucket's last step, so the curve still ends at the last step).
 * Averaging, not picking every k-th point, keeps the noisy per-step loss readable.
 */
export function downsampleMean<Row extends { step: number }>(rows: readonly Row[], maxPoints: number, fields: readonly (keyof Row & string)[]): Row[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 1) throw new RangeError(`maxPoints must be an integer ≥ 1, got ${maxPoints}`);
  if (rows.length <= maxPoints) return rows.slice();
  const out: Row[] = [];
  for (let b = 0; b < maxPoints; b++) {
    const start = Math.floor((b * rows.length) / maxPoints);
    const end = Math.floor(((b + 1) * rows.length) / maxPoints);
    const bucket = rows.slice(start, end);
    const mean: Record<string, unknown> = { ...bucket[bucket.length - 1] };
    for (const field of fields) {
      let sum = 0, count = 0;
      for (const row of bucket) {
        const v = row[field];
        if (typeof v === 'number' && Number.isFinite(v)) { sum += v; count++; }
      }
      mean[field] = count > 0 ? sum / count : null;
    }
    out.push(mean as Row);
  }
  return out;
}
