/**
 * Rate limits and browser safety (issue 15) against the real API: limits per key hold across two API instances
 * (their counters are in Redis): 429 with Retry-After and the RateLimit headers, expensive calls on their own budget;
 * a cross-site text/plain POST and a form POST are refused; a preflight from a foreign origin gets no
 * Access-Control-Allow-Origin, with CORS off (the default) and with an allowlist, which only its origins pass.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createHarness, multipart, type Harness } from './api-harness.ts';

const LIMS = 'https://lims.lab.example';
const EVIL = 'https://evil.example';

describe('rate limits across two API instances', () => {
  let first: Harness;
  let second: Harness;
  before(async () => {
    const access = { rateLimits: { perMinute: 5, expensivePerMinute: 2 } };
    first = await createHarness({ access });
    second = await createHarness({ access, sharing: first });
  });
  after(async () => {
    await second?.close();
    await first?.close();
  });

  test('the sixth call of a key within the minute is a 429 with Retry-After and RateLimit-*, whichever instance it reaches; other keys are not affected', async () => {
    const key = await first.issueKey({ name: 'busy lims', scopes: ['read'] });
    const headers = { authorization: `Bearer ${key}` };
    const remaining: string[] = [];
    for (let call = 0; call < 5; call++) {
      const res = await (call % 2 === 0 ? first : second).app.inject({ method: 'GET', url: '/v1/datasets', headers });
      assert.equal(res.statusCode, 200, res.body);
      remaining.push(String(res.headers['ratelimit-remaining']));
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0'], 'one count over both instances');
    const limited = await second.app.inject({ method: 'GET', url: '/v1/datasets', headers });
    assert.equal(limited.statusCode, 429, limited.body);
    assert.deepEqual(Object.keys(limited.json()).sort(), ['code', 'error', 'message', 'requestId', 'statusCode']);
    assert.equal(limited.json().code, 'RATE_LIMITED');
    assert.equal(limited.headers['ratelimit-limit'], '5');
    assert.equal(limited.headers['ratelimit-remaining'], '0');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, String(limited.headers['retry-after']));
    assert.equal(limited.headers['ratelimit-reset'], limited.headers['retry-after']);
    assert.equal((await first.app.inject({ method: 'GET', url: '/v1/datasets', headers })).statusCode, 429);
    // The harness's admin key has its own budget.
    assert.equal((await first.app.inject({ method: 'GET', url: '/v1/datasets' })).statusCode, 200);
  });

  test('experiments count against the expensive budget (2 a minute here), not the general one', async () => {
    const key = await first.issueKey({ name: 'sweeper', scopes: ['read', 'write'] });
    const headers = { authorization: `Bearer ${key}` };
    const post = (app: Harness['app']) => app.inject({ method: 'POST', url: '/v1/experiments', payload: { datasetId: randomUUID(), spec: {} }, headers });
    // An unknown dataset (404): the call is counted all the same.
    assert.equal((await post(first.app)).statusCode, 404);
    assert.equal((await post(second.app)).statusCode, 404);
    const limited = await post(first.app);
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.headers['ratelimit-limit'], '2');
    assert.equal((await second.app.inject({ method: 'GET', url: '/v1/experiments', headers })).statusCode, 200, 'reads still have their budget');
  });
});

describe('browser safety', () => {
  let closed: Harness;
  let allowing: Harness;
  before(async () => {
    closed = await createHarness({ access: {} });
    allowing = await createHarness({ access: { corsOrigins: [LIMS] } });
  });
  after(async () => {
    await closed?.close();
    await allowing?.close();
  });

  test('a cross-site text/plain POST and a form POST are refused: 401 without a key, and 415 even with one; a multipart body only where files are taken', async () => {
    const cancel = `/v1/experiments/${randomUUID()}/cancel`;
    for (const [type, payload] of [['text/plain', '{}'], ['application/x-www-form-urlencoded', 'a=1'], ['multipart/form-data; boundary=x', '--x--\r\n']] as const) {
      const headers = { 'content-type': type, origin: EVIL };
      const anonymous = await closed.injectWithoutKey({ method: 'POST', url: cancel, payload, headers });
      assert.equal(anonymous.statusCode, 401, `${type}: ${anonymous.body}`);
      for (const url of [cancel, '/v1/experiments', '/v1/keys']) {
        const keyed = await closed.app.inject({ method: 'POST', url, payload, headers });
        assert.equal(keyed.statusCode, 415, `${type} to ${url}: ${keyed.body}`);
        assert.equal(keyed.json().code, 'MEDIA_TYPE_REFUSED');
        assert.equal(keyed.headers['access-control-allow-origin'], undefined);
      }
    }
    const form = await multipart({ noisy: new Uint8Array([1, 2, 3]) });
    const upload = await closed.app.inject({ method: 'POST', url: '/v1/datasets', payload: form.payload, headers: form.headers });
    assert.equal(upload.statusCode, 400, 'the dataset upload takes multipart (and refuses this file as not a TIFF)');
    const counts = await closed.counts();
    assert.deepEqual([counts.datasets, counts.experiments], [0, 0]);
  });

  test('CORS off by default: a preflight and a cross-origin call get no Access-Control-Allow-Origin', async () => {
    const preflight = await closed.injectWithoutKey({
      method: 'OPTIONS', url: '/v1/datasets', headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.ok(preflight.statusCode >= 400, String(preflight.statusCode));
    const call = await closed.app.inject({ method: 'GET', url: '/v1/datasets', headers: { origin: LIMS } });
    assert.equal(call.statusCode, 200);
    assert.equal(call.headers['access-control-allow-origin'], undefined);
  });

  test('CORS with an allowlist: its origin gets the headers (Authorization allowed), a foreign origin none', async () => {
    const preflight = (origin: string) => allowing.injectWithoutKey({
      method: 'OPTIONS', url: '/v1/datasets', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    const allowed = await preflight(LIMS);
    assert.equal(allowed.statusCode, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], LIMS);
    assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
    const foreign = await preflight(EVIL);
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    const call = await allowing.app.inject({ method: 'GET', url: '/v1/datasets', headers: { origin: EVIL } });
    assert.equal(call.headers['access-control-allow-origin'], undefined);
    const own = await allowing.app.inject({ method: 'GET', url: '/v1/datasets', headers: { origin: LIMS } });
    assert.equal(own.headers['access-control-allow-origin'], LIMS);
    assert.match(String(own.headers['access-control-expose-headers']), /retry-after/);
  });
});
