import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

/** A fresh process each: tfjs prints the banner once per process, on the cpu backend's first tensor. */
async function stderrOf(program: string): Promise<string> {
  const { stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: import.meta.dirname });
  return stderr;
}

test("tfjs's cpu backend prints its node-backend banner on its first tensor (what initBackend keeps quiet)", async () => {
  const stderr = await stderrOf(`
    import * as tf from '@tensorflow/tfjs';
    await tf.setBackend('cpu');
    tf.scalar(1).square().dataSync();`);
  assert.match(stderr, BANNER);
});

test('initBackend on the cpu backend: no banner, its own line, and later tfjs warnings still show', async () => {
  const stderr = await stderrOf(`
    import * as tf from '@tensorflow/tfjs';
    import { initBackend } from './backend.ts';
    const info = await initBackend('cpu', (message, fields) => process.stderr.write(message + ' ' + JSON.stringify(fields) + '\\n'));
    tf.tensor([1, 2, 3]).square().dataSync();
    process.stderr.write('PROD ' + tf.env().getBool('PROD') + '\\n');
    tf.env().setPlatform('again', tf.env().platform);`);
  assert.doesNotMatch(stderr, BANNER);
  assert.match(stderr, /tfjs backend selected \{"backend":"cpu","engine":"cpu"/);
  assert.match(stderr, /PROD false/);
  assert.match(stderr, /Platform .* has already been set/, 'tfjs warnings after initBackend are not silenced');
});
