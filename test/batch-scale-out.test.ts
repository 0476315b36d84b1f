/**
 * The batch path across processes, as inference workers on two hosts would run it: two inference processes started
 * from their main module (one core each, taskset) share one Postgres database, one Redis prefix and one blob store
 * with the API (in this process). A batch of three stacks (a multi-page one, one beyond the memory budget that
 * tiles, a corrupt one) is worked on by both; the good stacks complete with their manifest, the corrupt one fails
 * with its reason; the LIMS callback (a receiver on localhost that answers 500 first) arrives once, signed, after a
 * retry, its attempts recorded. kill -9 of a worker in the middle of a batch: the other finishes it and every page
 * is written exactly once (the task rows' write counts and the workers' own "page written" log lines). A cancel
 * stops new pages within the one each worker is on.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { availableParallelism, hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CALLBACK_SIGNATURE_HEADER, verifyCallbackSignature } from '@divblur/batch';
import { decodeTiff, encodeTiff, Random, type Stack } from '@divblur/imaging';
import { SERVICE_MAINS } from '../apps/demo/src/service-processes.ts';
import { REPO_ROOT } from './compose-file.ts';
import { freePort } from './redis-server.ts';
import { waitFor } from './service-harness.ts';
import { batchForm, CALLBACK_SECRET, createBatchHarness, type BatchHarness } from './batch-harness.ts';

interface LogLine { msg?: string; taskId?: string; batchId?: string }
interface WorkerProcess { name: string; child: ChildProcess; lines: LogLine[]; stderr: () => string; exited: Promise<void> }

let h: BatchHarness;
const workers: WorkerProcess[] = [];
let receiver: Server;
let receiverUrl = '';
const deliveries: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];

async function startWorker(name: string, core: number): Promise<WorkerProcess> {
  const port = await freePort();
  const child = spawn('taskset', ['-c', String(core % availableParallelism()), process.execPath, '--import', 'tsx', join(REPO_ROOT, SERVICE_MAINS.inference)], {
    cwd: REPO_ROOT, env: { ...h.env, INFERENCE_PORT: String(port), LOG_LEVEL: 'info', INFERENCE_JOB_LOCK_MS: '4000' },
    detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { lines.push(JSON.parse(line) as LogLine); } catch { /* not a pino line */ }
  });
  const worker = { name, child, lines, stderr: () => stderr, exited: new Promise<void>((done) => child.once('exit', () => done())) };
  workers.push(worker);
  await waitFor(`${name} to be ready`, async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined), 120_000);
  return worker;
}

async function stopWorker(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 20_000);
  await worker.exited;
  clearTimeout(timer);
}

const workerName = (worker: WorkerProcess) => `${hostname()}:${worker.child.pid}`;
const written = (batchId: string) => workers.flatMap((w) => w.lines.filter((l) => l.msg === 'page written' && l.batchId === batchId).map((l) => l.taskId as string));

before(async () => {
  h = await createBatchHarness();
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // The LIMS is down for the first delivery.
      const answered = deliveries.length === 0 ? 500 : 200;
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/divblur-hook`;
  await Promise.all([startWorker('inference-0', 0), startWorker('inference-1', 1)]);
});

after(async () => {
  await Promise.all(workers.map((w) => stopWorker(w)));
  await new Promise((done) => receiver?.close(done));
  await h?.close();
});

function stack(count: number, side: number, seed: number): Stack {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: count * side * side }, (_, i) => 0.3 + 0.2 * Math.sin(i / 29) + 0.03 * random.normal()), count, height: side, width: side };
}

async function postBatch(files: { name: string; bytes: Uint8Array }[], options: Record<string, unknown>, callback?: string): Promise<string> {
  const form = await batchForm({
    modelId: h.modelId, options: JSON.stringify({ tolerance: 'none', dihedral: false, ...options }), ...(callback ? { callback: JSON.stringify({ url: callback }) } : {}),
  }, files);
  const response = await h.app.inject({ method: 'POST', url: '/v1/deconvolutions', ...form });
  assert.equal(response.statusCode, 202, response.body);
  return response.json().id as string;
}

const settled = (id: string, timeoutMs = 240_000) => waitFor(`batch ${id} to settle`, async () => {
  const batch = await h.repos.batches.get(id);
  return batch?.finishedAt ? batch : undefined;
}, timeoutMs);

const withDiagnostics = (body: (t: TestContext) => Promise<void>) => async (t: TestContext) => {
  try {
    await body(t);
  } catch (error) {
    for (const w of workers) t.diagnostic(`${w.name} stderr:\n${w.stderr()}`);
    throw error;
  }
};

test('two workers share a batch of three stacks; the good ones complete, the corrupt one fails with its reason; the callback arrives once, signed, after a 500', withDiagnostics(async (t) => {
  const id = await postBatch([
    { name: 'timelapse.tif', bytes: encodeTiff(stack(8, 96, 1), { pixelSizeNm: 110 }) },
    { name: 'tiles.tif', bytes: encodeTiff(stack(1, 200, 2)) },
    { name: 'broken.tif', bytes: Buffer.from('II*\0 this is not a TIFF after all') },
  ], { samples: 120, memoryBudgetBytes: 2 ** 20 }, receiverUrl);
  const batch = await settled(id);
  assert.equal(batch.status, 'failed');
  const inputs = Object.fromEntries((await h.repos.batches.inputs(id)).map((input) => [input.name, input]));
  assert.equal(inputs.timelapse.status, 'succeeded');
  assert.equal(inputs.tiles.status, 'succeeded');
  assert.equal(inputs.broken.status, 'failed');
  assert.match(inputs.broken.error!, /^TIFF_\w+: /);
  const timelapse = decodeTiff(await h.blobs.getBuffer(inputs.timelapse.outputKey!));
  assert.deepEqual([timelapse.stack.count, timelapse.stack.height], [8, 96]);
  const tasks = await h.repos.batches.tasks(id);
  assert.ok(tasks.filter((task) => task.inputId === inputs.tiles.id).length > 1, 'the large page tiled');
  const byWorker = new Map<string, number>();
  for (const task of tasks) byWorker.set(task.worker!, (byWorker.get(task.worker!) ?? 0) + 1);
  t.diagnostic(`tasks per worker: ${[...byWorker.values()].join(' + ')}`);
  assert.deepEqual([...byWorker.keys()].sort(), workers.map(workerName).sort(), 'both workers took pages');
  assert.ok(await h.blobs.exists(`${batch.output.prefix}manifest.json`));

  // The callback: one delivery that succeeded, after one the receiver refused; both signed over the same body.
  await waitFor('the callback', async () => (deliveries.length >= 2 ? true : undefined), 60_000);
  await new Promise((done) => setTimeout(done, 1500));
  assert.deepEqual(deliveries.map((d) => d.answered), [500, 200], 'delivered once, after one retry');
  for (const delivery of deliveries) {
    assert.ok(verifyCallbackSignature(CALLBACK_SECRET, delivery.body, delivery.headers[CALLBACK_SIGNATURE_HEADER] as string), 'signed with the secret');
    assert.ok(!verifyCallbackSignature('another-secret-0123456789', delivery.body, delivery.headers[CALLBACK_SIGNATURE_HEADER] as string));
  }
  assert.equal(deliveries[0].body, deliveries[1].body);
  const summary = JSON.parse(deliveries[1].body);
  assert.equal(summary.batchId, id);
  assert.equal(summary.status, 'failed');
  assert.deepEqual(summary.pages, { done: tasksPages(tasks), failed: 0, total: tasksPages(tasks) });
  assert.match(summary.inputs.find((input: { name: string }) => input.name === 'broken').error, /^TIFF_/);
  const attempts = await h.repos.batches.callbackAttempts(id);
  assert.deepEqual(attempts.map((a) => [a.attempt, a.statusCode]), [[1, 500], [2, 200]]);
}));

/** Pages (not tiles) among a batch's tasks. */
function tasksPages(tasks: { inputId: string; page: number }[]): number {
  return new Set(tasks.map((task) => `${task.inputId}:${task.page}`)).size;
}

test('kill -9 of a worker in the middle of a batch: the other finishes it, and every page is written exactly once', withDiagnostics(async (t) => {
  const id = await postBatch([{ name: 'night.tif', bytes: encodeTiff(stack(12, 128, 3)) }], { samples: 200 });
  const victim = workers[0];
  const running = await waitFor('a page running on the worker to be killed, after one is written', async () => {
    const tasks = await h.repos.batches.tasks(id);
    const busy = tasks.find((task) => task.status === 'running' && task.worker === workerName(victim));
    return tasks.some((task) => task.status === 'succeeded') && busy ? busy : undefined;
  }, 120_000);
  victim.child.kill('SIGKILL');
  await victim.exited;
  t.diagnostic(`killed ${victim.name} while it ran page ${running.page}`);
  const batch = await settled(id);
  assert.equal(batch.status, 'succeeded');
  const tasks = await h.repos.batches.tasks(id);
  assert.ok(tasks.every((task) => task.status === 'succeeded'));
  assert.deepEqual(tasks.map((task) => task.writes), tasks.map(() => 1), 'each page put once (task rows)');
  const lines = written(id).sort();
  assert.deepEqual(lines, tasks.map((task) => task.id).sort(), 'each page written once (the workers\' logs)');
  const taken = tasks.find((task) => task.id === running.id)!;
  assert.equal(taken.attempts, 2, 'the killed page was taken over');
  assert.notEqual(taken.worker, workerName(victim));
  assert.equal(decodeTiff(await h.blobs.getBuffer((await h.repos.batches.inputs(id))[0].outputKey!)).stack.count, 12);
  workers.splice(workers.indexOf(victim), 1);
  await startWorker('inference-2', 0);
}));

test('cancel stops new pages within the one each worker is on', withDiagnostics(async () => {
  const id = await postBatch([{ name: 'long-night.tif', bytes: encodeTiff(stack(24, 128, 4)) }], { samples: 200 });
  await waitFor('a page to be written', async () => ((await h.repos.batches.tasks(id)).some((task) => task.status === 'succeeded') ? true : undefined), 120_000);
  const cancelled = await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${id}/cancel` });
  assert.equal(cancelled.statusCode, 200, cancelled.body);
  const cancelledAt = Date.now();
  const atCancel = await h.repos.batches.tasks(id);
  const open = atCancel.filter((task) => task.status === 'running').length + atCancel.filter((task) => task.status === 'succeeded').length;
  const batch = await settled(id);
  assert.equal(batch.status, 'cancelled');
  const tasks = await h.repos.batches.tasks(id);
  const done = tasks.filter((task) => task.status === 'succeeded');
  assert.ok(done.length <= open, `${done.length} pages done, ${open} were done or running at the cancel`);
  assert.ok(done.length < 24);
  assert.ok(tasks.filter((task) => task.status !== 'succeeded').every((task) => task.status === 'cancelled'));
  // No page started after the cancel (one second of slack for a start that raced the request).
  assert.ok(done.every((task) => Date.parse(task.startedAt!) <= cancelledAt + 1000));
  const again = await h.app.inject({ method: 'POST', url: `/v1/deconvolutions/${id}/cancel` });
  assert.equal(again.statusCode, 409);
}));
