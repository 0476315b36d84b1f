/**
 * The three processes as deployed (their main modules, spawned), with a redis-server of this test's own
 * (test/redis-server.ts) and a Postgres that hangs (accepts, never answers) (issue 14):
 * - SIGTERM ends each within 10 s in any state: idle, Redis killed, Postgres hanging, and the trainer in the middle
 *   of a training (whose job goes back to the queue at its checkpoint, the run queued again);
 * - kill -9 of the trainer does not leave its sandboxed training child running on its own.
 * The exit times are printed (t.diagnostic) for the note.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { enqueueExperimentFlow, trainJobId } from '@divblur/queue';
import { freePort, startOwnRedis, type OwnRedis } from './redis-server.ts';
import { createServiceHarness, sandboxChildrenOf, tinyTraining, waitFor, type ServiceHarness } from './service-harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRIES = {
  api: 'apps/api/src/server.ts',
  inference: 'apps/inference/src/main.ts',
  trainer: 'apps/trainer/src/main.ts',
} as const;
type Kind = keyof typeof ENTRIES;
const EXIT_LIMIT_MS = 10_000;

let redis: OwnRedis;
let redisUp = false;
let harness: ServiceHarness;
let blackhole: Server;
const sockets = new Set<Socket>();
let holeUrl = '';
const spawned: ChildProcess[] = [];

before(async () => {
  redis = await startOwnRedis(['--appendonly', 'yes']);
  redisUp = true;
  process.env.REDIS_URL = redis.url;
  harness = await createServiceHarness();
  blackhole = createServer((socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  await new Promise<void>((done) => blackhole.listen(0, '127.0.0.1', done));
  holeUrl = `postgresql://postgres@127.0.0.1:${(blackhole.address() as { port: number }).port}/divblur`;
});

after(async () => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const socket of sockets) socket.destroy();
  await new Promise((done) => blackhole?.close(done));
  // The harness's own connection waits for Redis: close it only while Redis is up (every test restarts what it kills).
  if (redisUp) await harness?.close();
  await redis?.close();
});

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  output: () => string;
}

/** One process of the service, with the harness's database, prefix and blob store unless `env` says otherwise. */
async function start(kind: Kind, env: Record<string, string> = {}): Promise<Running> {
  const port = String(await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRIES[kind]], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', API_PORT: port, INFERENCE_PORT: port, ...env },
  });
  spawned.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  if (kind === 'trainer') {
    await waitFor('the trainer to start', async () => (output.includes('"msg":"trainer started"') ? true : undefined), 60_000);
  } else {
    await waitFor(`the ${kind} server to listen`, async () => {
      if (child.exitCode !== null) throw new Error(`${kind} exited:\n${output}`);
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
      return response?.ok ? true : undefined;
    }, 60_000);
  }
  return { child, exited, output: () => output };
}

/** SIGTERM, then the time until the process has exited, ms. */
async function terminate(running: Running): Promise<number> {
  const started = performance.now();
  running.child.kill('SIGTERM');
  await Promise.race([running.exited, new Promise((done) => setTimeout(done, 30_000))]);
  return performance.now() - started;
}

const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

describe('SIGTERM exits within 10 s', () => {
  const times: string[] = [];
  after(() => console.log(`# SIGTERM exit times (ms): ${times.join('; ')}`));

  for (const kind of Object.keys(ENTRIES) as Kind[]) {
    test(`${kind}: idle, with Redis killed, with Postgres hanging`, async (t) => {
      const idle = await start(kind);
      const idleMs = await terminate(idle);
      assert.ok(idleMs < EXIT_LIMIT_MS, `idle: ${idleMs} ms\n${idle.output()}`);
      assert.equal(idle.child.exitCode, 0, idle.output());

      const redisDown = await start(kind);
      await redis.kill();
      redisUp = false;
      await new Promise((done) => setTimeout(done, 500));
      const redisMs = await terminate(redisDown);
      await redis.start();
      redisUp = true;
      assert.ok(redisMs < EXIT_LIMIT_MS, `Redis killed: ${redisMs} ms\n${redisDown.output()}`);

      const postgresDown = await start(kind, { DATABASE_URL: holeUrl });
      const postgresMs = await terminate(postgresDown);
      assert.ok(postgresMs < EXIT_LIMIT_MS, `Postgres hanging: ${postgresMs} ms\n${postgresDown.output()}`);

      const line = `${kind} idle ${idleMs.toFixed(0)}, Redis killed ${redisMs.toFixed(0)} (exit ${redisDown.child.exitCode}), Postgres hanging ${postgresMs.toFixed(0)} (exit ${postgresDown.child.exitCode})`;
      times.push(line);
      t.diagnostic(line);
    });
  }

  test('trainer in the middle of a training: exits within 10 s, its job back in the queue at its checkpoint, the run queued', async (t) => {
    const { experimentId, runIds: [runId] } = await harness.createExperiment(1, tinyTraining(100_000, 1_000_000));
    await enqueueExperimentFlow(harness.queues.flows, { experimentId, runIds: [runId] });
    const trainer = await start('trainer');
    await waitFor('training to be under way', async () => ((await harness.db.lossPoint.count({ where: { runId } })) >= 5 ? true : undefined), 90_000);
    const ms = await terminate(trainer);
    times.push(`trainer training ${ms.toFixed(0)}`);
    t.diagnostic(`trainer in a training: exited after ${ms.toFixed(0)} ms (exit ${trainer.child.exitCode})`);
    assert.ok(ms < EXIT_LIMIT_MS, `${ms} ms\n${trainer.output()}`);
    assert.equal(trainer.child.exitCode, 0, trainer.output());
    assert.equal(await harness.queues.byName.training.getJobState(trainJobId(runId)), 'waiting', 'the job went back to the queue');
    const run = await harness.db.run.findUniqueOrThrow({ where: { id: runId } });
    assert.equal(run.status, 'queued');
    assert.equal(run.attempts, 1);
    const checkpoint = await harness.db.checkpoint.findFirst({ where: { runId }, orderBy: { step: 'desc' } });
    assert.ok(checkpoint !== null && checkpoint.step >= 5, `the stopped attempt's checkpoint: ${checkpoint?.step}`);
  });
});

test('kill -9 of the trainer: its sandboxed training child exits too', async (t) => {
  // The job the previous test handed back (or a new one): a trainer takes it and trains.
  const { experimentId, runIds: [runId] } = await harness.createExperiment(1, tinyTraining(100_000, 1_000_000));
  await enqueueExperimentFlow(harness.queues.flows, { experimentId, runIds: [runId] });
  const trainer = await start('trainer');
  const pid = trainer.child.pid!;
  const [child] = await waitFor('a sandboxed child', async () => {
    const children = sandboxChildrenOf(pid);
    return children.length > 0 ? children : undefined;
  }, 60_000);
  await waitFor('a training step', async () => ((await harness.db.run.count({ where: { status: 'training' } })) > 0 ? true : undefined), 60_000);
  process.kill(pid, 'SIGKILL');
  await trainer.exited;
  const killed = performance.now();
  await waitFor('the orphaned child to exit', async () => (alive(child) ? undefined : true), 15_000);
  const ms = performance.now() - killed;
  t.diagnostic(`the child exited ${ms.toFixed(0)} ms after its parent was killed`);
  assert.ok(ms < 10_000, `${ms} ms`);
});
