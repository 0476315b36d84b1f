import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { REDACTED, redactUrlCredentials } from './redact.ts';

const SECRET = 'hunter2-s3cr3t';

function capture(level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  const logger = createLogger({ logLevel: level }, { name: 'test', destination });
  return { logger, lines };
}

test('writes one JSON object per line with the name and level', () => {
  const { logger, lines } = capture();
  logger.info({ runId: 'r1', step: 3 }, 'trained');
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]);
  assert.equal(record.name, 'test');
  assert.equal(record.level, 30);
  assert.equal(record.msg, 'trained');
  assert.equal(record.step, 3);
});

test('respects the configured level', () => {
  const { logger, lines } = capture('warn');
  logger.info('hidden');
  logger.warn('shown');
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]).msg, 'shown');
});

test('a secret never appears in the output, wherever it is logged', () => {
  const { logger, lines } = capture();
  logger.info({
    password: SECRET,
    databaseUrl: `postgresql://bob:${SECRET}@db:5432/divblur`,
    req: { headers: { authorization: `Bearer ${SECRET}`, cookie: `sid=${SECRET}` } },
    config: { blobStore: { credentials: { accessKeyId: 'AKIA', secretAccessKey: SECRET } } },
    nested: [{ deeper: { apiKey: SECRET, token: SECRET } }],
  }, `connecting to redis://default:${SECRET}@cache:6379`);
  logger.error(new Error(`connect failed for postgresql://bob:${SECRET}@db`));
  logger.error({ err: new Error(`x amqp://u:${SECRET}@h`) }, 'boom');
  logger.child({ s3SecretAccessKey: SECRET, dsn: `redis://u:${SECRET}@h` }).info('child %s', `s3://k:${SECRET}@b`);
  assert.equal(lines.length, 4);
  for (const line of lines) {
    assert.ok(!line.includes(SECRET), `secret leaked in ${line}`);
    JSON.parse(line);
  }
  const first = JSON.parse(lines[0]);
  assert.equal(first.password, REDACTED);
  assert.equal(first.req.headers.authorization, REDACTED);
  assert.equal(first.databaseUrl, `postgresql://bob:${REDACTED}@db:5432/divblur`);
  assert.equal(JSON.parse(lines[1]).err.type, 'Error');
});

test('keeps what is not a secret: blob keys, hosts, the user beside a password', () => {
  const { logger, lines } = capture();
  logger.info({ blobKey: 'datasets/d1/noisy.tif', key: 'runs/r1/ckpt', url: 'postgresql://db:5432/x', dsn: 'postgresql://bob:pw@db/x' }, 'ok');
  const record = JSON.parse(lines[0]);
  assert.equal(record.blobKey, 'datasets/d1/noisy.tif');
  assert.equal(record.key, 'runs/r1/ckpt');
  assert.equal(record.url, 'postgresql://db:5432/x');
  assert.equal(record.dsn, `postgresql://bob:${REDACTED}@db/x`);
});

test('redactUrlCredentials hides passwords and a lone user-info part (it may be a token), not plain hosts', () => {
  assert.equal(redactUrlCredentials('redis://:pw@h:1'), `redis://:${REDACTED}@h:1`);
  assert.equal(redactUrlCredentials('https://tok@h/x'), `https://${REDACTED}@h/x`);
  assert.equal(redactUrlCredentials('http://h:9000/b?x=y@z'), 'http://h:9000/b?x=y@z');
  assert.equal(redactUrlCredentials('mail me at a@b.c'), 'mail me at a@b.c');
});
