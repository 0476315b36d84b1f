import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatS3Uri, parseS3Uri } from './s3-uri.ts';
import { InvalidS3UriError } from './errors.ts';

test('parses bucket and key, decoding percent-escapes', () => {
  assert.deepEqual(parseS3Uri('s3://lab-data/acq/2024/stack.tif'), { bucket: 'lab-data', key: 'acq/2024/stack.tif' });
  assert.deepEqual(parseS3Uri('s3://my.bucket/a%20b.tif'), { bucket: 'my.bucket', key: 'a b.tif' });
  assert.equal(formatS3Uri(parseS3Uri('s3://lab-data/x/y')), 's3://lab-data/x/y');
});

test('rejects what is not an s3 object URI, saying why', () => {
  const cases: [string, RegExp][] = [
    ['https://lab-data/x', /expected s3:\/\/bucket\/key/],
    ['s3://lab-data', /expected s3:\/\/bucket\/key/],
    ['s3://lab-data/', /expected s3:\/\/bucket\/key/],
    ['s3://Lab_Data/x', /not a valid bucket name/],
    ['s3://ab/x', /not a valid bucket name/],
    ['s3://lab-data/../x', /segment starts with/],
    ['s3://lab-data/%zz', /percent-escape/],
  ];
  for (const [uri, reason] of cases) {
    assert.throws(() => parseS3Uri(uri), (error: unknown) => error instanceof InvalidS3UriError && reason.test(error.message), uri);
  }
});
