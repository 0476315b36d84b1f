import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { REDACTED, redactUrlCredentials } from './redact.ts';
import { redactQuery } from './http-serializers.ts';

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
  assert.equal(first.req.headers, undefined, 'a request is logged without its headers');
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

test('a request and a reply whose fields are prototype getters (as Fastify\'s) keep method, url, client and status', () => {
  class FakeRequest {
    headers = { authorization: `Bearer ${SECRET}`, host: 'api:3000' };
    get method() { return 'POST'; }
    get url() { return `/v1/runs?X-Amz-Signature=${SECRET}&api_key=${SECRET}&limit=5`; }
    get ip() { return '10.0.0.7'; }
  }
  class FakeReply { get statusCode() { return 201; } }
  const { logger, lines } = capture();
  logger.info({ req: new FakeRequest() }, 'incoming request');
  logger.info({ res: new FakeReply(), responseTime: 3 }, 'request completed');
  const [incoming, completed] = lines.map((line) => JSON.parse(line));
  assert.deepEqual(incoming.req, {
    method: 'POST', url: `/v1/runs?X-Amz-Signature=${REDACTED}&api_key=${REDACTED}&limit=5`, host: 'api:3000', remoteAddress: '10.0.0.7',
  });
  assert.deepEqual(completed.res, { statusCode: 201 });
  for (const line of lines) assert.ok(!line.includes(SECRET), `secret leaked in ${line}`);
});

test('redactQuery hides secret-looking query values only', () => {
  assert.equal(redactQuery('/a?token=x&b=2&sigma=0.03'), `/a?token=${REDACTED}&b=2&sigma=0.03`);
  assert.equal(redactQuery('/a/b'), '/a/b');
  assert.equal(redactQuery('/a?flag&access_key=k'), `/a?flag&access_key=${REDACTED}`);
  assert.equal(redactQuery('/a?X-Amz-Credential=AKIA%2F2024&x=%E0'), `/a?X-Amz-Credential=${REDACTED}&x=%E0`);
});

test('an API key never appears in the output: in a message, a field, an error, a URL, a child binding', () => {
  const key = `dbk_0123456789abcdef_${'a1'.repeat(32)}`;
  const { logger, lines } = capture();
  logger.info({ note: `sent ${key}`, headers: { Authorization: `Bearer ${key}` }, req: { url: `/v1/runs?key=${key}`, headers: { authorization: `Bearer ${key}` } } }, `using ${key}`);
  logger.error(new Error(`refused ${key}`));
  logger.child({ client: key }).warn('child');
  assert.equal(lines.length, 3);
  for (const line of lines) {
    assert.ok(!line.includes('a1a1a1'), `key leaked in ${line}`);
    assert.ok(!line.includes('dbk_'), `key prefix in ${line}`);
  }
  assert.equal(JSON.parse(lines[0]).msg, `using ${REDACTED}`);
  assert.equal(JSON.parse(lines[0]).req.headers, undefined, 'a request is logged without its headers');
});
