/**
 * POST /v1/deconvolutions as multipart/form-data: the fields (modelId; options, output and callback as JSON text)
 * come first, so that the whole request is checked before the first file is written; then each file field "inputs"
 * is streamed to the blob store under the batch's own key as it arrives (a 1 GiB stack never sits in memory). A
 * request refused after that (a bad file, a reused Idempotency-Key) leaves no blob: the ones written are deleted.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { uniqueStems, uploadKey } from '@divblur/batch';
import type { BatchRecord } from '@divblur/db';
import { BatchOptions, BatchOutputRequest } from '@divblur/batch/options';
import { discardBlobs } from '../lib/dataset-ingest.ts';
import { readMultipart, streamFile } from '../lib/multipart-upload.ts';
import { BadRequestError } from '../lib/errors.ts';
import { BatchCallback } from '../schemas/deconvolution.ts';
import { Uuid } from '../schemas/common.ts';
import {
  checkBatchFields, MAX_BATCH_INPUTS, replayOf, requestSha256, storeBatch, type BatchDeps, type BatchFields, type PlannedInput,
} from './create-batch.ts';

const FIELD_SCHEMAS = { modelId: Uuid, options: BatchOptions, output: BatchOutputRequest, callback: BatchCallback } as const;
type FieldName = keyof typeof FIELD_SCHEMAS;
const JSON_FIELDS: readonly FieldName[] = ['options', 'output', 'callback'];
const Fields = Type.Object({
  modelId: FIELD_SCHEMAS.modelId, options: FIELD_SCHEMAS.options, output: FIELD_SCHEMAS.output, callback: Type.Optional(FIELD_SCHEMAS.callback),
}, { additionalProperties: false });

/** The text fields as the JSON body's values, with its defaults, checked against the same schemas. */
function parseFields(raw: Partial<Record<FieldName, string>>): BatchFields {
  const values: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw) as [FieldName, string][]) {
    if (!JSON_FIELDS.includes(name)) {
      values[name] = text;
      continue;
    }
    try {
      values[name] = JSON.parse(text);
    } catch {
      throw new BadRequestError('VALIDATION', `field ${name}: must be JSON, e.g. ${name === 'options' ? '{"samples":100}' : name === 'output' ? '{"dtype":"input"}' : '{"url":"https://lims/hook"}'}`);
    }
  }
  const withDefaults = Value.Default(Fields, values);
  const first = Value.Errors(Fields, withDefaults).First();
  if (first) throw new BadRequestError('VALIDATION', `field ${first.path.slice(1).replace(/\//g, '.') || '(form)'}: ${first.message}`);
  return withDefaults as BatchFields;
}

export async function createBatchFromMultipart(request: FastifyRequest, deps: BatchDeps, maxFileBytes: number, idempotencyKey: string | null):
  Promise<{ batch: BatchRecord; created: boolean }> {
  const id = randomUUID();
  const written: string[] = [];
  const uploads: { filename: string; key: string; sha256: string }[] = [];
  const raw: Partial<Record<FieldName, string>> = {};
  let fields: BatchFields | undefined;
  const parts = readMultipart(request, { limits: { files: MAX_BATCH_INPUTS, fields: 4, fileSize: maxFileBytes } });
  try {
    for (let part = await parts.next(); part !== undefined; part = await parts.next()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'inputs') {
          part.file.resume();
          throw new BadRequestError('UNKNOWN_FILE_FIELD', `unexpected file field "${part.fieldname}"; send the TIFF stacks as file fields "inputs"`);
        }
        if (fields === undefined) {
          fields = parseFields(raw);
          await request.assertVisible('model', fields.modelId); // a project's key: another project's model reads as none
          await checkBatchFields(deps, id, fields, idempotencyKey); // before the first byte is written
        }
        const filename = part.filename || `input-${uploads.length}.tif`;
        const key = uploadKey(id, uploads.length, uniqueStems([filename])[0]);
        written.push(key);
        const { sha256 } = await streamFile(deps.blobs, key, part, maxFileBytes);
        uploads.push({ filename, key, sha256 });
      } else {
        if (fields !== undefined) throw new BadRequestError('FIELD_AFTER_FILE', `field "${part.fieldname}" came after a file: send modelId, options, output and callback before the files`);
        if (!(part.fieldname in FIELD_SCHEMAS)) throw new BadRequestError('UNKNOWN_FIELD', `unexpected field "${part.fieldname}"; the fields are modelId, options, output, callback`);
        if (raw[part.fieldname as FieldName] !== undefined) throw new BadRequestError('REPEATED_FIELD', `field "${part.fieldname}" was sent twice`);
        if (part.valueTruncated || typeof part.value !== 'string') throw new BadRequestError('FIELD_TOO_LONG', `field "${part.fieldname}" is too long or not text`);
        raw[part.fieldname as FieldName] = part.value;
      }
    }
    fields ??= parseFields(raw);
    const sha256 = requestSha256({ ...fields, uploads: uploads.map(({ filename, sha256: hash }) => ({ filename, sha256: hash })) });
    const replay = await replayOf(deps.db, idempotencyKey, sha256);
    if (replay !== null) {
      await discardBlobs(deps.blobs, written);
      return { batch: replay, created: false };
    }
    const names = uniqueStems(uploads.map((upload) => upload.filename));
    const inputs: PlannedInput[] = uploads.map((upload, i) => ({ name: names[i], source: upload.key, pixelSizeNm: null }));
    return await storeBatch(deps, id, fields, inputs, idempotencyKey, sha256);
  } catch (error) {
    await parts.close();
    await discardBlobs(deps.blobs, written);
    throw error;
  }
}
