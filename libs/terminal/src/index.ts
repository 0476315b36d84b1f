export { formatTable } from './table.ts';
export { toCsv } from './csv.ts';
export { createProgress, type Progress } from './progress.ts';
export { nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber } from './number-options.ts';
