/**
 * What a newcomer sees in the first minutes (issue 21): `divblur train` on a pipe and on a terminal prints divblur's
 * own backend line and a filled progress bar, not tfjs's "install our node backend" banner nor a bar's `{loss}` tokens;
 * and the installed tree's install scripts are all reviewed in package.json's allowScripts, with no .npmrc key npm
 * does not know (npm warns of both on every `npm ci`, and a later npm fails on the second).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const cli = join(root, 'apps', 'cli', 'bin', 'divblur.js');
const BANNER = /TensorFlow\.js in Node\.js|install our node backend/;
const TEMPLATE_TOKEN = /\{[A-Za-z_]+\}/;

async function trainArgs(t: { after: (fn: () => Promise<void>) => void }): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-first-contact-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await run(process.execPath, [cli, 'simulate', '--count', '4', '--size', '32', '--seed', '1', '--out', dir]);
  return ['train', '--data', join(dir, 'noisy.tif'), '--psf', join(dir, 'psf.tif'), '--sigma', '0.03',
    '--steps', '2', '--batch-size', '2', '--patch-size', '16', '--seed', '3', '--out', join(dir, 'model')];
}

test('divblur train on a pipe: its backend line and a filled bar, no tfjs banner, no template tokens', async (t) => {
  const { stdout, stderr } = await run(process.execPath, [cli, ...(await trainArgs(t))]);
  assert.match(stderr, /tfjs backend selected/);
  assert.match(stderr, /train \[.*\] 0\/2 0% .*\| loss – \(data –, KL –, penalty –\) \| – samples\/s/, 'the first frame');
  assert.match(stderr, /train \[.*\] 2\/2 100% .*\| loss \d+\.\d{4} \(data /, 'the last frame');
  assert.doesNotMatch(stderr, BANNER);
  assert.doesNotMatch(stdout + stderr, TEMPLATE_TOKEN);
  assert.match(stdout, /trained 2 steps/);
});

test('divblur train on a terminal (a pty from util-linux script): no tfjs banner, no template tokens', async (t) => {
  const script = await run('script', ['--version']).then(() => true, () => false);
  if (!script) return t.skip('util-linux script is not installed: no pty to run on');
  const args = await trainArgs(t);
  const command = [process.execPath, cli, ...args].map((word) => `'${word}'`).join(' ');
  const { stdout } = await run('script', ['-qec', command, '/dev/null']); // the pty's output, stderr included
  assert.match(stdout, /\x1b\[/, 'cli-progress drew in place: it saw a terminal');
  assert.match(stdout, /0\/2 0% .*\| loss – \(data –/);
  assert.match(stdout, /trained 2 steps/);
  assert.doesNotMatch(stdout, BANNER);
  assert.doesNotMatch(stdout, TEMPLATE_TOKEN);
});

test('npm knows every .npmrc key and finds no install script that package.json allowScripts has not reviewed', async (t) => {
  const listed = await run('npm', ['install-scripts', 'ls'], { cwd: root }).catch((error: { stderr: string }) => error);
  if (/Unknown command/.test(listed.stderr)) return t.skip('this npm has no install-scripts command (npm 11.19 has)');
  const { stdout, stderr } = listed as { stdout: string; stderr: string };
  assert.doesNotMatch(stderr, /Unknown (project|user|global|builtin|env) config/, stderr);
  assert.match(stdout, /No packages with unreviewed install scripts/, stdout);
});
