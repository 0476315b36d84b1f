/**
 * The page in a real browser: Debian's chromium (scripts/setup.sh installs it) driven by playwright-core, no browser
 * download, against the real API (listening on a port) with a small λ sweep trained and evaluated the way production
 * does it (test/trained-sweep.ts). The page asks for the key, lists the experiment, its plot has one point per run and
 * the recommended λ marked, hover names the run, the runs table sorts; a click on a run shows its loss curves and its
 * held-out images with one zoom for all. Screenshots go to DIVBLUR_SCREENSHOTS (docs/screenshots for the README) or a
 * temp folder. Skipped, saying why, only where no chromium can be found.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { trainSweep, type TrainedSweep } from './trained-sweep.ts';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const SKIP = CHROMIUM === undefined ? 'no chromium at /usr/bin/chromium: scripts/setup.sh installs Debian\'s (apt-get install chromium), as root' : false;
// The flags for a headless, offline Chromium as root (ENVIRONMENT.md): no sandbox, no GPU, no calls home.
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];
const PENALTIES = ['l1', 'l2'];
const LAMBDAS = [1e-3, 0.1, 10];
/** Training steps per run: few for the test; the README's screenshots were taken with DIVBLUR_SCREENSHOT_STEPS=300. */
const STEPS = Number(process.env.DIVBLUR_SCREENSHOT_STEPS ?? 8);

let sweep: TrainedSweep | undefined;
let browser: Browser | undefined;
let base = '';
let shots = '';

before(async () => {
  if (SKIP) return;
  shots = process.env.DIVBLUR_SCREENSHOTS ? resolve(process.env.DIVBLUR_SCREENSHOTS) : await mkdtemp(join(tmpdir(), 'divblur-screenshots-'));
  await mkdir(shots, { recursive: true });
  [sweep, browser] = await Promise.all([
    trainSweep({ penalties: PENALTIES, lambdas: LAMBDAS, steps: STEPS, evaluationSamples: 20 }),
    chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS }),
  ]);
  base = await sweep.api.listen({ host: '127.0.0.1', port: 0 });
});

after(async () => {
  await browser?.close();
  await sweep?.close();
});

test('the page lists the experiment, plots one point per run with the recommended λ, and shows a run\'s loss curves and images', { skip: SKIP }, async () => {
  const { experimentId, runIds, key } = sweep!;
  const page = await browser!.newPage({ viewport: { width: 1320, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  // A failed load is a response below; every other console error is the page's.
  page.on('console', (message) => { if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text()); });
  const refused: string[] = [];
  page.on('response', (response) => { if (response.status() >= 400) refused.push(`${response.status()} ${new URL(response.url()).pathname}`); });

  await page.goto(`${base}/ui/`);
  // A wrong key is refused and the page asks again; the right one opens it and stays in this tab's sessionStorage.
  await page.fill('#api-key', 'dbk_0000000000000000_' + '0'.repeat(64));
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#login .error');
  await page.fill('#api-key', key);
  await page.click('#login button[type=submit]');
  const row = page.locator(`#experiments tr[data-experiment-id="${experimentId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /succeeded/);
  assert.match(await row.innerText(), new RegExp(`${runIds.length}/${runIds.length}`));
  assert.equal(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('divblur.apiKey')), key);
  await page.screenshot({ path: join(shots, 'experiments.png') });

  await row.click();
  const points = page.locator('#sweep-plot circle.point');
  await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('#sweep-plot circle.point').length === n, runIds.length);
  const plotted = (await points.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-run-ids')))).flatMap((ids) => ids!.split(' '));
  assert.deepEqual([...plotted].sort(), [...runIds].sort(), 'one point per run');
  assert.equal(await page.locator('#sweep-plot g.series').count(), PENALTIES.length, 'one line per group');
  assert.equal(await page.locator('#sweep-plot g.recommended').count(), PENALTIES.length, 'the recommended λ marked per group');
  // The marks sit at the λ the compare report recommends.
  const report = (await sweep!.api.inject({ method: 'GET', url: `/v1/experiments/${experimentId}/compare` })).json();
  const marked = await page.locator('#sweep-plot g.recommended').evaluateAll((nodes) => nodes.map((n) => Number(n.getAttribute('data-x'))));
  assert.deepEqual(marked.sort(), report.recommendations.map((r: { x: number }) => r.x).sort());
  assert.equal(await page.locator('#recommendations li').count(), PENALTIES.length);
  // Hover names the run.
  const first = points.last(); // drawn last, on top of any point at the same place
  await first.hover();
  const tip = page.locator('#tooltip');
  await tip.waitFor({ state: 'visible' });
  assert.ok((await tip.innerText()).includes(`run ${(await first.getAttribute('data-run-ids'))!.slice(0, 8)}`), await tip.innerText());
  // Log x: the three λ (decades apart) are evenly spaced.
  const xs = [...new Set(await points.evaluateAll((nodes) => nodes.map((n) => Math.round(Number(n.getAttribute('cx'))))))].sort((a, b) => a - b);
  assert.equal(xs.length, LAMBDAS.length);
  assert.ok(Math.abs((xs[1] - xs[0]) - (xs[2] - xs[1])) <= 2, `log-x spacing ${xs}`);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: join(shots, 'experiment.png'), fullPage: true });

  // The metric switches (GT-free discrepancy), and the runs table sorts by a column.
  await page.selectOption('#select-metric', 'discrepancy');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('#sweep-plot').textContent.includes('discrepancy ‖'));
  assert.equal(await points.count(), runIds.length);
  const column = (index: number) => page.locator('#runs tbody tr').evaluateAll((rows, i) => rows.map((r) => Number(r.children[i].textContent)), index);
  assert.deepEqual(await column(4), [...LAMBDAS, ...LAMBDAS].sort((x, y) => x - y), 'by λ, ascending at first');
  await page.click('#runs th[data-sort="lambda"]');
  assert.deepEqual(await column(4), [...LAMBDAS, ...LAMBDAS].sort((x, y) => y - x), 'a click on λ reverses it');
  await page.click('#runs th[data-sort="psnrMmse"]');
  const psnrs = await column(7);
  assert.deepEqual(psnrs, [...psnrs].sort((x, y) => x - y), 'by PSNR, ascending');
  assert.ok(psnrs.every(Number.isFinite) && psnrs[0] < psnrs[psnrs.length - 1], `${psnrs}`);
  assert.equal(await page.locator('#runs tbody tr.recommended').count(), PENALTIES.length);

  // A run: loss curves per term, its images side by side.
  const runId = runIds[0];
  await page.click(`#runs tbody tr[data-run-id="${runId}"]`);
  await page.waitForSelector('#loss-plots .plot[data-term="beta"] circle.point');
  for (const term of ['data', 'kl', 'penalty', 'beta']) {
    assert.ok(await page.locator(`#loss-plots .plot[data-term="${term}"] circle.point`).count() >= 2, `${term} curve`);
  }
  await page.waitForFunction(() => {
    const images = [...(globalThis as any).document.querySelectorAll('#images img')];
    return images.length === 4 && images.every((img) => img.complete && img.naturalWidth === 32);
  });
  assert.deepEqual(await page.locator('#images img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('data-kind'))), ['input', 'mmse', 'std', 'gt']);
  // One zoom for all: a wheel over one image zooms every one alike.
  const viewport = page.locator('#images .viewport').nth(1);
  await viewport.hover();
  await page.mouse.wheel(0, -300);
  await page.waitForFunction(() => (globalThis as any).document.querySelector('#images img').style.transform.includes('scale(1.25)'));
  const transforms = await page.locator('#images img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('style') ?? ''));
  assert.equal(new Set(transforms).size, 1, transforms.join(' | '));
  await page.click('#reset-view');
  await page.screenshot({ path: join(shots, 'run.png'), fullPage: true });
  // One contrast for input, MMSE and GT: a new white level reaches every one but the std.
  await page.fill('#contrast-max', '2');
  await page.dispatchEvent('#contrast-max', 'change');
  await page.waitForFunction(() => [...(globalThis as any).document.querySelectorAll('#images .caption')].filter((c) => c.textContent.includes(', 2]')).length === 3);
  assert.deepEqual(errors, [], 'no errors in the page');
  // Only the wrong key's check was refused (and the browser's own favicon request, which the page does not make).
  assert.deepEqual(refused.filter((r) => r !== '404 /favicon.ico'), ['401 /v1/experiments']);
  await page.close();
});
