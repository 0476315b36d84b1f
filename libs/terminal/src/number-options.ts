/**
 * Commander option parsers for numbers: a bad value is an InvalidArgumentError, which commander
 * reports as `error: option '--steps <n>' argument '0' is invalid. expected an integer > 0, got '0'`.
 */
import { InvalidArgumentError } from 'commander';

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected a number > 0, got '${value}'`);
  return parsed;
}

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`expected an integer > 0, got '${value}'`);
  return parsed;
}

export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, got '${value}'`);
  return parsed;
}

export function nonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got '${value}'`);
  return parsed;
}
