/**
 * The page's files and the queue dashboard, on the API as the harness builds it: the page (/ui/) is open, holds no
 * data and says where its scripts may come from; /admin/queues (bull-board) opens only with a session that a lab-wide
 * admin key made at POST /v1/queue-dashboard/session, and a revoked key's session ends on its next request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, type Harness } from './api-harness.ts';

let h: Harness;
before(async () => { h = await createHarness(); });
after(async () => { await h?.close(); });

test('the page\'s files are served without a key, with a strict Content-Security-Policy; / leads to it', async () => {
  for (const [url, type] of [['/ui/', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/plot.js', 'text/javascript'], ['/ui/style.css', 'text/css']]) {
    const res = await h.injectWithoutKey({ method: 'GET', url });
    assert.equal(res.statusCode, 200, url);
    assert.ok(String(res.headers['content-type']).startsWith(type), `${url}: ${res.headers['content-type']}`);
    assert.match(String(res.headers['content-security-policy']), /script-src 'self'.*img-src 'self' blob:/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  const page = (await h.injectWithoutKey({ method: 'GET', url: '/ui/' })).body;
  assert.match(page, /<script type="module" src="\/ui\/app.js">/);
  assert.doesNotMatch(page, /dbk_[0-9a-f]{8,}/, 'no key in the page');
  const root = await h.injectWithoutKey({ method: 'GET', url: '/' });
  assert.equal(root.statusCode, 302);
  assert.equal(root.headers.location, '/ui/');
  // The page reads /v1 with the key it is given: without one, the API refuses.
  assert.equal((await h.injectWithoutKey({ method: 'GET', url: '/v1/experiments' })).statusCode, 401);
});

const cookieOf = (setCookie: string | string[] | undefined) => String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0];

test('the queue dashboard: no session 401; a session needs a lab-wide admin key; it shows the three queues; revoked, refused', async () => {
  for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
    const res = await h.injectWithoutKey({ method: 'GET', url });
    assert.equal(res.statusCode, 401, url);
    assert.equal(res.json().code, 'QUEUE_SESSION_MISSING');
  }
  // A Bearer key alone does not open it (bull-board's page sends none), nor does a made-up cookie.
  assert.equal((await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues' })).statusCode, 401);
  assert.equal((await h.injectWithoutKey({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie: 'divblur_queues=forged' } })).statusCode, 401);

  const session = (authorization?: string) => h.injectWithoutKey({ method: 'POST', url: '/v1/queue-dashboard/session', headers: authorization ? { authorization } : {} });
  assert.equal((await session()).statusCode, 401);
  const reader = await h.issueKey({ name: 'viewer', scopes: ['read', 'write'] });
  assert.equal((await session(`Bearer ${reader}`)).statusCode, 403);
  const projectAdmin = await h.app.inject({ method: 'POST', url: '/v1/keys', payload: { name: 'project admin', scopes: ['admin'], project: 'lab-b' } });
  assert.equal(projectAdmin.statusCode, 201, projectAdmin.body);
  const refused = await session(`Bearer ${projectAdmin.json().key}`);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().code, 'LAB_KEY_REQUIRED');

  const admin = await h.app.inject({ method: 'POST', url: '/v1/keys', payload: { name: 'queue admin', scopes: ['admin'] } });
  const made = await session(`Bearer ${admin.json().key}`);
  assert.equal(made.statusCode, 200, made.body);
  assert.deepEqual(made.json(), { path: '/admin/queues', expiresInSeconds: 1800 });
  const setCookie = String(made.headers['set-cookie']);
  assert.match(setCookie, /^divblur_queues=[A-Za-z0-9_-]{43}; Path=\/admin\/queues; Max-Age=1800; HttpOnly; SameSite=Strict$/);
  const cookie = cookieOf(made.headers['set-cookie']);

  const board = await h.injectWithoutKey({ method: 'GET', url: '/admin/queues', headers: { cookie } });
  assert.equal(board.statusCode, 200);
  assert.match(String(board.headers['content-type']), /text\/html/);
  const queues = await h.injectWithoutKey({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } });
  assert.equal(queues.statusCode, 200, queues.body);
  assert.deepEqual(queues.json().queues.map((q: { name: string }) => q.name).sort(), ['experiments', 'inference', 'training']);

  const revoked = await h.app.inject({ method: 'POST', url: `/v1/keys/${admin.json().id}/revoke` });
  assert.equal(revoked.statusCode, 200, revoked.body);
  assert.equal((await h.injectWithoutKey({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } })).statusCode, 401, 'the revoked key\'s session ends');
});
