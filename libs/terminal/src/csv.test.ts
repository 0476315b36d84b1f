import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toCsv } from './csv.ts';

test('writes a header and quotes fields with commas, quotes and newlines', () => {
  const csv = toCsv(['name', 'value', 'note'], [
    { name: 'a,b', value: 1.5, note: 'say "hi"' },
    { name: 'c', value: null, note: 'x\ny' },
  ]);
  assert.equal(csv, 'name,value,note\r\n"a,b",1.5,"say ""hi"""\r\nc,,"x\ny"\r\n');
});
