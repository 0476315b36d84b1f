import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from './concurrency.ts';
import { OverloadedError } from './errors.ts';

test('refuses work beyond the bound with a retry hint, and frees the slot when work ends or fails', async () => {
  const limit = new ConcurrencyLimit(2);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const first = limit.run(() => gate);
  const second = limit.run(() => gate);
  await assert.rejects(limit.run(async () => 1), (error: unknown) => error instanceof OverloadedError && error.retryAfterSeconds >= 1);
  assert.equal(limit.rejected, 1);
  release();
  await Promise.all([first, second]);
  assert.equal(limit.inFlight, 0);
  await assert.rejects(limit.run(async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await limit.run(async () => 42), 42);
  assert.throws(() => new ConcurrencyLimit(0), RangeError);
});
