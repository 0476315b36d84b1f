/** Plain-text table with right-aligned numbers, for terminals and logs. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[], digits: number | readonly number[] = 2): string {
  const digitsOf = (column: number) => (typeof digits === 'number' ? digits : digits[column] ?? 2);
  const cells = rows.map((row) => row.map((v, c) => (typeof v === 'number' ? formatNumber(v, digitsOf(c)) : v)));
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => String(row[c] ?? '').length)));
  const line = (values: readonly string[], numeric: boolean[]) =>
    values.map((v, c) => (numeric[c] ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  const numericColumns = header.map((_, c) => rows.length > 0 && rows.every((row) => typeof row[c] === 'number'));
  return [
    line(header, numericColumns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((row) => line(row as string[], numericColumns)),
  ].join('\n');
}

function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits);
}
