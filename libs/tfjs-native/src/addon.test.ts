import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const probe = `
  const { registerNativeKernels } = await import('./src/register.ts');
  const tf = await import('@tensorflow/tfjs');
  const before = tf.getKernel('Conv2D', 'cpu').kernelFunc;
  const kernels = registerNativeKernels();
  console.log(JSON.stringify({ registered: kernels !== null, replaced: tf.getKernel('Conv2D', 'cpu').kernelFunc !== before }));
`;

function runProbe(env: Record<string, string>): { registered: boolean; replaced: boolean } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe],
    { cwd: packageDir, env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

test('DIVBLUR_NATIVE=off forces the fallback: nothing registers and tfjs keeps its own kernels', () => {
  assert.deepEqual(runProbe({ DIVBLUR_NATIVE: 'off' }), { registered: false, replaced: false });
});

test('the install script exits 0 and builds nothing when told off (as on a machine without oneDNN)', () => {
  const out = execFileSync(process.execPath, ['scripts/build-addon.mjs'], { cwd: packageDir, env: { ...process.env, DIVBLUR_NATIVE: 'off' }, encoding: 'utf8' });
  assert.match(out, /addon not built/);
});
