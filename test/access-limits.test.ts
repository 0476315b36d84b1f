/**
 * Rate limits and browser safety (issue 15) against the real API: limits per key hold across two API instances
 * (their counters are in Redis): 429 with Retry-After and the RateLimit headers, expensive calls on their own budget;
 * the scrypt hashes that wrong secrets with a real key's lookup id cause are bounded per address and per key, across
 * instances (429 with Retry-After before any hash);
 * a cross-site text/plain POST and a form POST are refused; a preflight from a foreign origin gets no
 * Access-Control-Allow-Origin, with CORS off (the default) and with an allowlist, which only its origins pass.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { issueApiKey, parseApiKey } from '@divblur/http/api-key';
import { HASH_ATTEMPTS_PER_ADDRESS, HASH_ATTEMPTS_PER_KEY } from '../libs/http/src/access/hash-attempts.ts';
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

describe('wrong secrets with a real lookup id, across two API instances', () => {
  let first: Harness;
  let second: Harness;
  before(async () => {
    first = await createHarness({ access: {} });
    second = await createHarness({ access: {}, sharing: first });
  });
  after(async () => {
    await second?.close();
    await first?.close();
  });

  /** CPU time (all threads: scrypt runs in libuv's pool) of `work`, ms. */
  const cpuMs = async (work: () => Promise<unknown>) => {
    const start = process.cpuUsage();
    await work();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  const wrongSecret = (key: string, n: number) => `dbk_${parseApiKey(key)!.lookupId}_${n.toString(16).padStart(64, 'a')}`;
  const get = (h: Harness, key: string, remoteAddress: string) =>
    h.app.inject({ method: 'GET', url: '/v1/datasets', headers: { authorization: `Bearer ${key}` }, remoteAddress });

  test(`past ${HASH_ATTEMPTS_PER_ADDRESS} wrong secrets a minute from one address a key check is a 429 with Retry-After that hashes nothing, on both instances; a key that already passed, an unknown key, a repeated wrong secret and a revocation are as before`, async (t) => {
    const address = '198.51.100.7';
    const { key: target } = await issueApiKey(first.db, { name: 'target', scopes: ['read'] });
    const { key: inUse } = await issueApiKey(first.db, { name: 'in use', scopes: ['read'] });
    for (const h of [first, second]) {
      assert.equal((await get(h, inUse, address)).statusCode, 200);
      assert.equal((await h.app.inject({ method: 'GET', url: '/v1/datasets', remoteAddress: address })).statusCode, 200, 'the admin key, checked once here');
    }
    const statuses: number[] = [];
    // The same calls with a hash each, and then without: what the refusals cost against what the hashes cost.
    const failedMs = await cpuMs(async () => {
      for (let n = 0; n < HASH_ATTEMPTS_PER_ADDRESS; n++) statuses.push((await get(n % 2 === 0 ? first : second, wrongSecret(target, n), address)).statusCode);
    });
    assert.deepEqual(statuses, Array(HASH_ATTEMPTS_PER_ADDRESS).fill(401), 'each a 401 until the bound');
    const refusals: Array<Awaited<ReturnType<typeof get>>> = [];
    const refusedMs = await cpuMs(async () => {
      for (let n = 0; n < HASH_ATTEMPTS_PER_ADDRESS; n++) refusals.push(await get(n % 2 === 0 ? first : second, wrongSecret(target, 100 + n), address));
    });
    for (const refused of refusals) {
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().code, 'KEY_ATTEMPTS_LIMITED');
      assert.deepEqual(Object.keys(refused.json()).sort(), ['code', 'error', 'message', 'requestId', 'statusCode']);
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 60, String(refused.headers['retry-after']));
    }
    // Each hash is ~40–100 ms of CPU here, a call without one a few ms.
    t.diagnostic(`CPU: ${HASH_ATTEMPTS_PER_ADDRESS} hashed 401s ${failedMs.toFixed(0)} ms, ${HASH_ATTEMPTS_PER_ADDRESS} refusals ${refusedMs.toFixed(0)} ms`);
    assert.ok(refusedMs < failedMs / 3, `${HASH_ATTEMPTS_PER_ADDRESS} refusals took ${refusedMs.toFixed(0)} ms of CPU, as many hashed 401s ${failedMs.toFixed(0)} ms`);

    // No hash is needed for these, so the bound does not touch them.
    assert.equal((await get(first, inUse, address)).statusCode, 200, 'a key that passed on this instance');
    assert.equal((await get(second, inUse, address)).statusCode, 200);
    assert.equal((await get(first, `dbk_${'1'.repeat(16)}_${'2'.repeat(64)}`, address)).statusCode, 401, 'an unknown key');
    assert.equal((await get(first, wrongSecret(target, 0), address)).statusCode, 401, 'a wrong secret this instance already refused');
    // The correct secret of the attacked key, from the address past its bound: it would need a hash here (the cost of the bound).
    assert.equal((await get(first, target, address)).statusCode, 429);
    assert.equal((await get(first, target, '198.51.100.8')).statusCode, 200, 'from another address');
    // Revoked: refused at once, past the bound or not (the row is read before any of this).
    const revoke = await first.app.inject({ method: 'POST', url: `/v1/keys/${(await first.db.apiKeys.list(100)).find((key) => key.name === 'in use')!.id}/revoke`, remoteAddress: address });
    assert.equal(revoke.statusCode, 200, revoke.body);
    assert.deepEqual([(await get(first, inUse, address)).statusCode, (await get(second, inUse, address)).statusCode], [401, 401]);
  });

  test(`one key takes at most ${HASH_ATTEMPTS_PER_KEY} wrong secrets a minute from all addresses; a mistyped key retried from one address costs one`, async () => {
    const { key: target } = await issueApiKey(first.db, { name: 'spread target', scopes: ['read'] });
    const { key: other } = await issueApiKey(first.db, { name: 'bystander', scopes: ['read'] });
    const addresses = Array.from({ length: HASH_ATTEMPTS_PER_KEY / HASH_ATTEMPTS_PER_ADDRESS }, (_, i) => `203.0.113.${i + 1}`);
    let n = 0;
    for (const address of addresses) {
      for (let call = 0; call < HASH_ATTEMPTS_PER_ADDRESS; call++) assert.equal((await get(call % 2 === 0 ? first : second, wrongSecret(target, n++), address)).statusCode, 401);
    }
    const fresh = '203.0.113.200';
    const limited = await get(second, wrongSecret(target, n++), fresh);
    assert.equal(limited.statusCode, 429, limited.body);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((await get(second, other, fresh)).statusCode, 200, 'another key from that address is not limited');

    const { key: mistyped } = await issueApiKey(first.db, { name: 'mistyped', scopes: ['read'] });
    const retried = wrongSecret(mistyped, 7);
    const repeated: number[] = [];
    for (let call = 0; call < 3 * HASH_ATTEMPTS_PER_ADDRESS; call++) repeated.push((await get(first, retried, '192.0.2.9')).statusCode);
    assert.deepEqual(new Set(repeated), new Set([401]), 'the same wrong secret again and again stays a 401');
    assert.equal((await get(first, mistyped, '192.0.2.9')).statusCode, 200, 'and its owner, once corrected, gets in');
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
