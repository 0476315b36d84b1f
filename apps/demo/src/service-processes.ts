/**
 * The service's processes as children of the demo: `db:migrate` once, then the API, the trainer and
 * the inference worker, run from their main modules like the package scripts do. Each service gets a
 * process group of its own, so that stopping it also stops what it forked (the trainer's sandboxed
 * training child); their output goes to <logDir>/<name>.log, keeping the terminal for the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// apps/demo/src/ → the repository root, where the services' main modules and tsx are.
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const SERVICE_MAINS = {
  api: 'apps/api/src/server.ts',
  trainer: 'apps/trainer/src/main.ts',
  inference: 'apps/inference/src/main.ts',
} as const;
export type ServiceName = keyof typeof SERVICE_MAINS;
const MIGRATE_MAIN = 'libs/db/src/migrate-cli.ts';
const CLI_MAIN = 'apps/cli/src/main.ts';

/** A child that stopped before the demo asked it to, or a step that failed; the message says which log to read. */
export class DemoProcessError extends Error {}

export interface ServiceProcess {
  readonly name: string;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
  readonly running: () => boolean;
}

interface Started extends ServiceProcess { readonly child: ChildProcess }

function startNode(name: string, main: string, env: NodeJS.ProcessEnv, logDir: string, ownGroup: boolean): Started {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, main)], {
    cwd: REPO_ROOT, env, detached: ownGroup, stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => { done = true; resolve(code ?? signal ?? 'unknown'); });
    child.once('error', (error) => { done = true; resolve(error.message); });
  });
  return { name, logFile, exited, child, running: () => !done };
}

/** Creates the database if missing and applies the migrations (`npm run db:migrate`'s main module). */
export async function migrateDatabase(env: NodeJS.ProcessEnv, logDir: string): Promise<void> {
  const migrate = startNode('db-migrate', MIGRATE_MAIN, env, logDir, false);
  const code = await migrate.exited;
  if (code !== 0) throw new DemoProcessError(`db:migrate failed (exit ${code}): see ${migrate.logFile}`);
}

/**
 * An API key for the demo's LIMS client, made as a lab's admin makes one: `divblur keys create` on the demo's
 * database (it prints the key once, on stdout). Every /v1 route of the services needs one.
 */
export async function createApiKey(env: NodeJS.ProcessEnv, logDir: string, name: string, scopes: readonly string[]): Promise<string> {
  const logFile = join(logDir, 'keys-create.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, CLI_MAIN), 'keys', 'create', '--name', name, '--scopes', scopes.join(',')], {
    cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', fd],
  });
  closeSync(fd);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  const code = await new Promise<number | string>((resolve) => {
    child.once('exit', (exit, signal) => resolve(exit ?? signal ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  const key = stdout.trim();
  if (code !== 0 || !key.startsWith('dbk_')) throw new DemoProcessError(`divblur keys create failed (exit ${code}): see ${logFile}`);
  return key;
}

export interface RunningServices {
  readonly processes: readonly ServiceProcess[];
  /** Throws if a service has stopped on its own. */
  check(): void;
  /** SIGTERM to each service (a graceful close), SIGKILL to its whole group after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startServices(env: NodeJS.ProcessEnv, logDir: string): RunningServices {
  const started = (Object.keys(SERVICE_MAINS) as ServiceName[]).map((name) => startNode(name, SERVICE_MAINS[name], env, logDir, true));
  let stopping = false;
  return {
    processes: started,
    check() {
      const dead = started.find((p) => !p.running());
      if (dead && !stopping) throw new DemoProcessError(`the ${dead.name} process stopped: see ${dead.logFile}`);
    },
    async stop(graceMs = 15_000) {
      stopping = true;
      const signalGroup = (p: Started, signal: NodeJS.Signals) => {
        try {
          process.kill(-(p.child.pid as number), signal);
        } catch {
          // the group is gone already
        }
      };
      for (const p of started) if (p.running()) p.child.kill('SIGTERM');
      await Promise.all(started.map(async (p) => {
        let timer: NodeJS.Timeout | undefined;
        const closed = await Promise.race([
          p.exited.then(() => true),
          new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), graceMs); }),
        ]);
        clearTimeout(timer);
        // Leftovers of the group (a training child) go too; the leader, if it did not close in time, with them.
        signalGroup(p, 'SIGKILL');
        if (!closed) await p.exited;
      }));
    },
  };
}
