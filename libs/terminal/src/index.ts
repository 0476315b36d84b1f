export { formatTable } from './table.ts';
export { createProgress, type Progress } from './progress.ts';
export { nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber } from './number-options.ts';
