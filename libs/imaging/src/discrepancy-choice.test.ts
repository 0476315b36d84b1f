import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseByDiscrepancy } from './discrepancy-choice.ts';

test('chooses the λ whose discrepancy is closest to 1, and says the sweep brackets 1', () => {
  const choice = chooseByDiscrepancy([
    { lambda: 1, discrepancy: 1.4, id: 'c' }, { lambda: 0.01, discrepancy: 0.93, id: 'a' }, { lambda: 0.1, discrepancy: 1.05, id: 'b' },
  ]);
  assert.equal(choice.chosen?.id, 'b');
  assert.ok(Math.abs((choice.distance as number) - 0.05) < 1e-12);
  assert.deepEqual(choice.weighed.map((c) => c.lambda), [0.01, 0.1, 1]);
  assert.equal(choice.bracketed, true);
});

test('ignores candidates without a finite discrepancy; none left: no choice', () => {
  assert.equal(chooseByDiscrepancy([{ lambda: 1, discrepancy: null }, { lambda: 2, discrepancy: Number.NaN }]).chosen, null);
  const choice = chooseByDiscrepancy([{ lambda: 1, discrepancy: null }, { lambda: 2, discrepancy: 3 }, { lambda: 4, discrepancy: 5 }]);
  assert.equal(choice.chosen?.lambda, 2);
  assert.equal(choice.weighed.length, 2);
  assert.equal(choice.bracketed, false, 'every D above 1: the sweep does not reach the noise level');
});

test('a tie goes to the larger λ (the more regularised estimate)', () => {
  assert.equal(chooseByDiscrepancy([{ lambda: 0.5, discrepancy: 0.75 }, { lambda: 2, discrepancy: 1.25 }]).chosen?.lambda, 2);
});
