/**
 * test/service-pipeline.test.ts again, with BLOB_STORE=s3 and static keys from the environment (issue 15): the
 * service harness serves the blob store from an s3rver bucket of its own (DIVBLUR_TEST_BLOB_STORE=s3), so that the
 * trainer's sandboxed child, the inference worker and the server all go through the frozen S3 configuration, as
 * docker-compose's MinIO does. Run in a process of its own: the harness configures through the environment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('the service pipeline passes with BLOB_STORE=s3 and S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY from the environment', () => {
  // Without NODE_TEST_CONTEXT: the child reports as a test run of its own, not to this runner.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'test/service-pipeline.test.ts'], {
    env: { ...env, DIVBLUR_TEST_BLOB_STORE: 's3' }, encoding: 'utf8', timeout: 540_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, output.slice(-4000));
  assert.match(output, /# fail 0/);
  assert.match(output, /# pass [1-9]/);
});
