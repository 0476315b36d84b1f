/**
 * Both services publish a valid OpenAPI 3.1 document at /docs/json (checked with
 * @seriousme/openapi-schema-validator, which validates against the OpenAPI Initiative's JSON
 * Schema of 3.1), with a UI at /docs; every operation documents a success response with its
 * content type and its client errors in the one error shape.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createHarness, type Harness } from './api-harness.ts';
import { createInferenceHarness, type InferenceHarness } from './inference-harness.ts';

type Operation = { responses: Record<string, { content?: Record<string, { schema?: unknown }> }>; requestBody?: { content: Record<string, unknown> } };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function documentOf(app: { inject: Harness['app']['inject'] }): Promise<Document> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  assert.equal(res.statusCode, 200);
  return res.json();
}

async function assertValid(document: Document) {
  assert.equal(document.openapi, '3.1.0');
  const result = await new Validator().validate(document as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 3000));
}

function operations(document: Document): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Operation]));
}

/** Every operation: a 2xx with a content type and a schema; a 4xx with the error shape where the route takes input. */
function assertComplete(document: Document) {
  for (const [name, op] of operations(document)) {
    const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
    assert.ok(success.length > 0, `${name}: no 2xx response`);
    for (const [status, response] of success) {
      assert.ok(response.content && Object.keys(response.content).length > 0, `${name} ${status}: no content type`);
      for (const [type, media] of Object.entries(response.content)) assert.ok(media.schema, `${name} ${status} ${type}: no schema`);
    }
    for (const [status, response] of Object.entries(op.responses).filter(([s]) => s.startsWith('4'))) {
      const schema = response.content?.['application/json']?.schema as { properties?: Record<string, unknown> } | undefined;
      assert.deepEqual(Object.keys(schema?.properties ?? {}).sort(), ['code', 'error', 'message', 'requestId', 'statusCode'], `${name} ${status}`);
    }
  }
}

describe('OpenAPI', () => {
  let api: Harness;
  let inference: InferenceHarness;
  before(async () => {
    api = await createHarness();
    inference = await createInferenceHarness();
  });
  after(async () => {
    await api?.close();
    await inference?.close();
  });

  test('the API\'s document is valid OpenAPI 3.1, complete, with the multipart upload and the downloads\' media types', async () => {
    const document = await documentOf(api.app);
    await assertValid(document);
    assertComplete(document);
    const upload = document.paths['/v1/datasets'].post;
    assert.deepEqual(Object.keys(upload.requestBody!.content).sort(), ['application/json', 'multipart/form-data']);
    assert.ok(upload.responses['400'] && upload.responses['413']);
    assert.deepEqual(Object.keys(document.paths['/v1/runs/{id}/loss'].get.responses['200'].content!).sort(), ['application/json', 'image/svg+xml', 'text/csv']);
    assert.deepEqual(Object.keys(document.paths['/v1/experiments/{id}/compare'].get.responses['200'].content!).sort(), ['application/json', 'image/svg+xml', 'text/csv']);
    assert.deepEqual(Object.keys(document.paths['/v1/models/{id}/onnx'].get.responses['200'].content!), ['application/octet-stream']);
    assert.deepEqual(Object.keys(document.paths['/v1/models/{id}/package'].get.responses['200'].content!), ['application/zip']);
    for (const list of ['/v1/datasets', '/v1/experiments', '/v1/runs']) assert.ok(document.paths[list].get.responses['400'], `${list}: 400`);
    assert.ok(document.paths['/v1/runs/{id}/metrics'].get.responses['200'].content!['application/json'].schema);
    assert.ok((await api.app.inject({ method: 'GET', url: '/docs' })).statusCode < 400);
  });

  test('the validator refuses the same document labelled 3.0.3 (numeric exclusiveMinimum and type null are 3.1)', async () => {
    const document = { ...(await documentOf(api.app)), openapi: '3.0.3' };
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    assert.equal(result.valid, false);
    assert.match(JSON.stringify(result.errors), /exclusiveMinimum|type/);
  });

  test('the inference service\'s document is valid OpenAPI 3.1, at its own /docs, with TIFF and JSON bodies', async () => {
    const document = await documentOf(inference.app);
    await assertValid(document);
    assertComplete(document);
    const deconvolve = document.paths['/v1/models/{id}/deconvolve'].post;
    assert.deepEqual(Object.keys(deconvolve.requestBody!.content).sort(), ['application/json', 'application/octet-stream', 'image/tiff']);
    assert.deepEqual(Object.keys(deconvolve.responses['200'].content!).sort(), ['application/json', 'image/tiff']);
    for (const status of ['400', '404', '413', '415', '429']) assert.ok(deconvolve.responses[status], status);
    const ui = await inference.app.inject({ method: 'GET', url: '/docs' });
    assert.ok(ui.statusCode < 400, String(ui.statusCode));
  });
});
