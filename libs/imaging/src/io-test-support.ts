// Test support for the I/O tests (not exported from the package).
import assert from 'node:assert/strict';
import type { ImagingError } from './errors.ts';

/** Asserts that `call` throws `errorClass` with `code` and a message matching `message`. */
export function assertImagingError(call: () => unknown, errorClass: abstract new (...args: never[]) => ImagingError, code: string, message: RegExp): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof errorClass, `expected ${errorClass.name}, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}
