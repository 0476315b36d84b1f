/**
 * scripts/setup.sh, the step of the README's first command that gets a newcomer the fast training path:
 * it installs only what is missing, only as root, never fails the command line, and a second run changes
 * nothing. dpkg-query, apt-get and id are stand-ins on PATH (a package database in a file, a log of
 * apt-get's calls), so that no test installs anything; one test runs it against this machine's real dpkg.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../scripts/setup.sh', import.meta.url));
const PACKAGES = ['libdnnl-dev', 'g++', 'make', 'python3', 'chromium'];

interface FakeSystem { dir: string; installed: string; aptLog: string; env: NodeJS.ProcessEnv; close(): Promise<void> }

async function fakeSystem(options: { installed: string[]; uid: number; aptFails?: boolean }): Promise<FakeSystem> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-setup-'));
  const installed = join(dir, 'installed');
  const aptLog = join(dir, 'apt.log');
  await writeFile(installed, options.installed.map((p) => `${p}\n`).join(''));
  await writeFile(aptLog, '');
  const tools: Record<string, string> = {
    // dpkg-query -W -f='${Status}' <package>: "install ok installed" for a package listed in the file.
    'dpkg-query': `#!/bin/sh\nfor last; do :; done\ngrep -qx "$last" "${installed}" && printf 'install ok installed' && exit 0\nexit 1\n`,
    'apt-get': `#!/bin/sh\necho "$*" >> "${aptLog}"\n${options.aptFails ? 'exit 100\n' : ''}`
      + `if [ "$1" != update ]; then for arg; do case "$arg" in -*|install) ;; *) echo "$arg" >> "${installed}";; esac; done; fi\n`,
    id: `#!/bin/sh\necho ${options.uid}\n`,
  };
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(join(dir, name), body);
    await chmod(join(dir, name), 0o755);
  }
  return {
    dir, installed, aptLog, env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

function runSetup(env: NodeJS.ProcessEnv): { status: number | null; stdout: string } {
  const result = spawnSync('sh', [SCRIPT], { env, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout + result.stderr };
}

const aptCalls = async (system: FakeSystem) => (await readFile(system.aptLog, 'utf8')).split('\n').filter(Boolean);

test('with every package installed it calls no apt-get and says the fast path will be built', async () => {
  const system = await fakeSystem({ installed: PACKAGES, uid: 0 });
  try {
    const { status, stdout } = runSetup(system.env);
    assert.equal(status, 0);
    assert.match(stdout, /libdnnl-dev g\+\+ make python3 chromium already installed/);
    assert.deepEqual(await aptCalls(system), []);
  } finally {
    await system.close();
  }
});

test('as root it installs exactly the missing packages, and a second run installs nothing', async () => {
  const system = await fakeSystem({ installed: ['make', 'python3', 'chromium'], uid: 0 });
  try {
    const first = runSetup(system.env);
    assert.equal(first.status, 0);
    assert.match(first.stdout, /installed libdnnl-dev g\+\+;/);
    assert.deepEqual(await aptCalls(system), ['update -qq', 'install -y -qq libdnnl-dev g++']);
    const second = runSetup(system.env);
    assert.equal(second.status, 0);
    assert.match(second.stdout, /already installed/);
    assert.equal((await aptCalls(system)).length, 2, 'the second run calls apt-get no more');
  } finally {
    await system.close();
  }
});

test('not root, it installs nothing and prints the apt-get line to run; exit 0', async () => {
  const system = await fakeSystem({ installed: ['g++', 'make', 'python3', 'chromium'], uid: 1000 });
  try {
    const { status, stdout } = runSetup(system.env);
    assert.equal(status, 0);
    assert.match(stdout, /missing libdnnl-dev; as root run: apt-get install -y libdnnl-dev/);
    assert.deepEqual(await aptCalls(system), []);
  } finally {
    await system.close();
  }
});

test('when apt-get fails it says training falls back, and still exits 0 so that npm ci && npm run demo go on', async () => {
  const system = await fakeSystem({ installed: [], uid: 0, aptFails: true });
  try {
    const { status, stdout } = runSetup(system.env);
    assert.equal(status, 0);
    assert.match(stdout, /could not install libdnnl-dev g\+\+ make python3 chromium; training will run on the slower wasm fallback/);
  } finally {
    await system.close();
  }
});

test('on this machine (real dpkg) it finds the packages installed and changes nothing', (t) => {
  const status = (p: string) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout;
  if (!PACKAGES.every((p) => status(p) === 'install ok installed')) {
    t.skip('these packages are not all installed here: the script would install them, which a test must not');
    return;
  }
  const { status: code, stdout } = runSetup(process.env);
  assert.equal(code, 0);
  assert.match(stdout, /already installed; npm ci builds the oneDNN training kernels/);
});
