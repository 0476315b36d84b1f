/**
 * The API's request log through libs/config's logger: every line of a request carries its id,
 * method and url (secret query values hidden), the last one its status code; secrets — an
 * Authorization header, a token in the query, a database URL's password inside an error — never
 * reach the output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, REDACTED } from '@divblur/config';
import { createHarness, type Harness } from './api-harness.ts';

const SECRET = 'hunter2-s3cr3t';
const lines: string[] = [];
let h: Harness;

before(async () => {
  const destination = new Writable({ write(chunk, _encoding, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  h = await createHarness({
    logger: createLogger({ logLevel: 'info' }, { name: 'api-log-test', destination }),
    s3Import: async () => { throw new Error(`could not reach postgresql://lims:${SECRET}@db.internal:5432/lims`); },
  });
});
after(async () => h?.close());

const linesOf = (requestId: string) => lines.map((line) => JSON.parse(line)).filter((record) => record.reqId === requestId);

test('each line of a request says its id, method and url; the last one its status; secrets stay out', async () => {
  const response = await h.app.inject({
    method: 'GET', url: `/v1/experiments?limit=5&token=${SECRET}`,
    headers: { authorization: `Bearer ${SECRET}`, 'x-request-id': 'lims-req-1' },
  });
  const records = linesOf('lims-req-1');
  assert.ok(records.length >= 2, `lines of the request: ${JSON.stringify(records)}`);
  for (const record of records) {
    assert.equal(record.method, 'GET');
    assert.equal(record.url, `/v1/experiments?limit=5&token=${REDACTED}`);
  }
  const incoming = records.find((r) => r.msg === 'incoming request');
  assert.deepEqual([incoming?.req.method, incoming?.req.url], ['GET', `/v1/experiments?limit=5&token=${REDACTED}`]);
  assert.ok(incoming?.req.remoteAddress);
  const completed = records.find((r) => r.msg === 'request completed');
  assert.equal(completed?.res.statusCode, response.statusCode);
  assert.ok(completed?.responseTime >= 0);
  for (const line of lines) assert.ok(!line.includes(SECRET), `secret in ${line}`);
});

test('a failing request logs the error with its id and status, and the database password stays hidden', async () => {
  const basic = await h.app.inject({
    method: 'POST', url: '/v1/datasets', payload: { name: 'from s3', s3: 's3://lims-bucket/acq.tif' },
    headers: { 'x-request-id': 'lims-req-basic', authorization: `Basic ${Buffer.from(`lims:${SECRET}`).toString('base64')}` },
  });
  assert.equal(basic.statusCode, 401, 'Basic credentials are not an API key');
  const response = await h.app.inject({
    method: 'POST', url: '/v1/datasets', payload: { name: 'from s3', s3: 's3://lims-bucket/acq.tif' }, headers: { 'x-request-id': 'lims-req-2' },
  });
  assert.equal(response.statusCode, 500, response.body);
  const records = linesOf('lims-req-2');
  const failure = records.find((r) => r.err);
  assert.ok(failure, `an error line: ${JSON.stringify(records)}`);
  assert.equal(failure.method, 'POST');
  assert.equal(failure.url, '/v1/datasets');
  assert.match(failure.err.message, new RegExp(`postgresql://lims:\\${REDACTED.replace(']', '\\]')}@db.internal`));
  assert.equal(records.find((r) => r.msg === 'request completed')?.res.statusCode, 500);
  for (const line of lines) {
    assert.ok(!line.includes(SECRET), `secret in ${line}`);
    assert.ok(!line.includes(Buffer.from(`lims:${SECRET}`).toString('base64')), `basic credentials in ${line}`);
  }
});

test('API keys never reach the log: the harness key on every request, a key created through POST /v1/keys, a revoked one, a mistyped one', async () => {
  const created = await h.app.inject({ method: 'POST', url: '/v1/keys', payload: { name: 'logged?', scopes: ['read'] }, headers: { 'x-request-id': 'lims-req-3' } });
  assert.equal(created.statusCode, 201);
  const { key, id } = created.json();
  await h.app.inject({ method: 'GET', url: '/v1/datasets', headers: { authorization: `Bearer ${key}` } });
  await h.app.inject({ method: 'POST', url: `/v1/keys/${id}/revoke` });
  await h.app.inject({ method: 'GET', url: `/v1/datasets?key=${key}`, headers: { authorization: `Bearer ${key}` } });
  await h.app.inject({ method: 'GET', url: '/v1/datasets', headers: { authorization: `Bearer ${key.slice(0, -1)}x` } });
  assert.ok(linesOf('lims-req-3').length >= 2, 'the requests were logged');
  const secrets = [h.key, key].map((k) => k.split('_')[2]);
  for (const line of lines) for (const secret of secrets) assert.ok(!line.includes(secret.slice(0, 16)), `a key in ${line}`);
});
