/**
 * The page's batch list in a real browser (Debian's chromium driven by playwright-core, as test/web-page.test.ts),
 * against the real API with its batch path (test/batch-harness.ts) listening on a port: #/batches lists the batches
 * from GET /v1/deconvolutions, newest first, with their progress; a project key sees its project's only; the status
 * filter and "Show older" (the next page, by its cursor) work. Skipped, saying why, only where no chromium can be found.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { issueApiKey } from '@divblur/http/api-key';
import { createBatchHarness, type BatchHarness } from './batch-harness.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SKIP = CHROMIUM === undefined ? 'no chromium at /usr/bin/chromium: scripts/setup.sh installs Debian\'s (apt-get install chromium), as root' : false;
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

let h: BatchHarness | undefined;
let browser: Browser | undefined;
let base = '';
let labKey = '';
let alphaKey = '';
const alphaBatches: string[] = [];
let betaBatch = '';

before(async () => {
  if (SKIP) return;
  [h, browser] = await Promise.all([createBatchHarness(), chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })]);
  labKey = (await issueApiKey(h.repos, { name: 'lab page', scopes: ['read', 'write'] })).key;
  alphaKey = (await issueApiKey(h.repos, { name: 'alpha page', scopes: ['read', 'write'], project: 'alpha' })).key;
  const betaKey = (await issueApiKey(h.repos, { name: 'beta lims', scopes: ['read', 'write'], project: 'beta' })).key;
  const alpha = await h.servedModels((await h.repos.projects.byName('alpha'))!.id);
  const beta = await h.servedModels((await h.repos.projects.byName('beta'))!.id);
  const create = async (key: string, models: typeof alpha) => {
    const res = await h!.app.inject({ method: 'POST', url: '/v1/deconvolutions', payload: { modelId: models.modelId, inputs: { datasetId: models.datasetId } }, headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 202, res.body);
    return res.json().id as string;
  };
  betaBatch = await create(betaKey, beta);
  for (let i = 0; i < 52; i += 1) alphaBatches.unshift(await create(alphaKey, alpha)); // newest first
  assert.equal((await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${alphaBatches[1]}/cancel`, headers: { authorization: `Bearer ${alphaKey}` } })).statusCode, 200);
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await browser?.close();
  await h?.close();
});

test('#/batches lists the batches from GET /v1/deconvolutions with their progress: a project key its own, the lab key all; status filter; older by cursor', { skip: SKIP }, async () => {
  const open = async (key: string) => {
    const page = await browser!.newPage({ viewport: { width: 1320, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // A failed load is a response below; every other console error is the page's.
    page.on('console', (message) => { if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text()); });
    page.on('response', (response) => { if (response.status() >= 400) errors.push(`${response.status()} ${new URL(response.url()).pathname}`); });
    await page.goto(`${base}/ui/#/batches`);
    await page.fill('#api-key', key);
    await page.click('#login button[type=submit]');
    await page.locator('#batches tbody tr[data-batch-id]').first().waitFor();
    return { page, errors };
  };
  const ids = (page: Awaited<ReturnType<typeof open>>['page']) => page.locator('#batches tbody tr[data-batch-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-batch-id')));

  const alpha = await open(alphaKey);
  assert.deepEqual(await ids(alpha.page), alphaBatches.slice(0, 50), 'the first page, newest first');
  const first = await alpha.page.locator(`#batches tr[data-batch-id="${alphaBatches[0]}"]`).innerText();
  assert.match(first, /queued/);
  assert.match(first, /0\/0/, 'its pages (none planned yet: no worker runs here)');
  await alpha.page.click('#batch-more');
  await alpha.page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('#batches tbody tr[data-batch-id]').length === n, 52);
  assert.deepEqual(await ids(alpha.page), alphaBatches, 'the older ones by the cursor, each once');
  assert.ok(!(await ids(alpha.page)).includes(betaBatch), "another project's batch is not listed");
  assert.equal(await alpha.page.locator('#batch-more').isHidden(), true, 'no page after the last');
  await alpha.page.selectOption('#batch-status', 'cancelled');
  await alpha.page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#batches tbody tr[data-batch-id]').length === 1);
  assert.deepEqual(await ids(alpha.page), [alphaBatches[1]]);
  assert.match(await alpha.page.locator('#batches tbody tr').innerText(), /cancelled/);
  assert.deepEqual(alpha.errors, []);

  const lab = await open(labKey);
  await lab.page.click('#batch-more');
  await lab.page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('#batches tbody tr[data-batch-id]').length === n, 53);
  assert.deepEqual(await ids(lab.page), [...alphaBatches, betaBatch]);
  assert.deepEqual(lab.errors, []);
});
